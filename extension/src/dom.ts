// A tiny helper to build DOM nodes; the widgets stay plain Lumino widgets.
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

export function formatValue(value: unknown): string {
  if (typeof value === 'number') {
    return Number.isInteger(value) ? String(value) : value.toPrecision(4);
  }
  if (value === null || value === undefined) {
    return '—';
  }
  const dataset = value as { $uri?: string; catalog?: string; hash?: string };
  if (typeof value === 'object' && dataset.$uri && !(value as { $artifact?: string }).$artifact) {
    // a dataset given by catalog name, path or URI: the name a user gave, else the file's name
    const named = dataset.catalog ?? dataset.$uri.split(/[\\/]/).pop() ?? dataset.$uri;
    const hash = dataset.hash ? ` · ${dataset.hash.slice(0, 19)}…` : '';
    return `${named}${hash}`;
  }
  const artifact = value as { $artifact?: string; hash?: string; columns?: string[] };
  if (typeof value === 'object' && artifact.$artifact) {
    // a dataset or file kept in the artifact store: its content hash and columns say what it is
    const columns = artifact.columns ? ` · ${artifact.columns.join(', ')}` : '';
    return `artifact ${(artifact.hash ?? artifact.$artifact).slice(0, 19)}…${columns}`;
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function statusBadge(status: string): HTMLElement {
  return el('span', { class: 'flowlab-status', 'data-status': status }, status);
}

const COLOURS_ID = 'flowlab-state-colours';

/** Colour every status badge (`.flowlab-status[data-status=…]`) as the server says: one
 * stylesheet for the sidebar and the run tabs, so a new state needs no change here. */
export function showStateColours(colours: Record<string, string>): void {
  let sheet = document.getElementById(COLOURS_ID);
  if (!sheet) {
    sheet = el('style', { id: COLOURS_ID });
    document.head.append(sheet);
  }
  sheet.textContent = Object.entries(colours)
    .map(([state, colour]) => {
      return `.flowlab-status[data-status=${CSS.escape(state)}] { background: ${colour}; }`;
    })
    .join('\n');
}
