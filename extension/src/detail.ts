// One run in the main area: inputs, rendered outputs, the DAG, operator states and logs.
import { Widget } from '@lumino/widgets';

import { getRun, IRunDetail } from './api';
import { el, formatValue, showStateColours, statusBadge } from './dom';

export class RunDetail extends Widget {
  constructor(readonly runId: string) {
    super();
    this.id = `flowlab-run-${runId}`;
    this.title.label = `Run ${runId}`;
    this.title.closable = true;
    this.addClass('flowlab-run-detail');
    this.node.append(el('div', { class: 'flowlab-loading' }, `loading run ${runId}…`));
    void this.load();
  }

  /** Fetch the run and draw it; keep polling while it is not finished. */
  async load(): Promise<void> {
    try {
      this.draw(await getRun(this.runId));
    } catch (error) {
      this.node.replaceChildren(
        el('div', { class: 'flowlab-query-error' }, (error as Error).message)
      );
      return;
    }
    if (this.pending && !this.isDisposed) {
      window.setTimeout(() => void this.load(), 2000);
    }
  }

  private draw(run: IRunDetail): void {
    this.pending = !run.finished;
    showStateColours(run.state_colours);
    this.title.label = `${run.workflow} ${run.id}`;
    const inputs = el('table', { class: 'flowlab-inputs' });
    for (const [name, value] of Object.entries(run.inputs)) {
      inputs.append(el('tr', {}, el('th', {}, name), el('td', {}, formatValue(value))));
    }
    // the server renders outputs with flowlab's renderers, the same HTML as in the notebook
    const outputs = el('div', { class: 'flowlab-outputs-html' });
    outputs.innerHTML = run.html || '<i>no outputs yet</i>';
    const dag = el('div', { class: 'flowlab-dag' });
    dag.innerHTML = run.dag;
    const operators = el(
      'table',
      { class: 'flowlab-operators' },
      el(
        'tr',
        {},
        ...['operator', 'state', 'worker', 'duration'].map(h => el('th', {}, h))
      )
    );
    const logs = el('div', { class: 'flowlab-logs' });
    for (const [name, op] of Object.entries(run.operators)) {
      operators.append(
        el(
          'tr',
          { 'data-node': name, 'data-state': op.state },
          el('td', {}, name),
          el('td', {}, statusBadge(op.state)),
          el('td', {}, op.worker ?? '—'),
          el('td', {}, op.duration === null ? '—' : `${op.duration.toFixed(2)} s`)
        )
      );
      const text = [op.logs, op.traceback].filter(Boolean).join('\n');
      if (text) {
        logs.append(el('details', {}, el('summary', {}, `logs of ${name}`), el('pre', {}, text)));
      }
    }
    const error = run.error?.message
      ? el('div', { class: 'flowlab-query-error' }, `${run.error.operator ?? ''}: ${run.error.message}`)
      : '';
    this.node.replaceChildren(
      el(
        'h2',
        {},
        `${run.workflow} `,
        el('code', {}, run.id),
        ' ',
        statusBadge(run.status)
      ),
      error,
      annotations(run),
      el('h3', {}, 'Inputs'),
      inputs,
      el('h3', {}, 'Outputs'),
      outputs,
      el('h3', {}, 'Graph'),
      dag,
      el('h3', {}, 'Operators'),
      operators,
      logs
    );
  }

  private pending = false;
}

/** The run's tags as chips and its notes ("" when it has neither). */
function annotations(run: IRunDetail): HTMLElement | string {
  const tags = run.tags ?? [];
  const notes = run.notes ?? [];
  if (!tags.length && !notes.length) {
    return '';
  }
  return el(
    'div',
    { class: 'flowlab-annotations' },
    el('div', { class: 'flowlab-tags' }, ...tags.map(tag => el('span', { class: 'flowlab-tag' }, tag))),
    el('ul', { class: 'flowlab-notes' }, ...notes.map(note => el('li', { class: 'flowlab-note' }, note)))
  );
}
