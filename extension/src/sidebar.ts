// The Flowlab sidebar: a query box, saved searches and recent runs with live status.
import { Widget } from '@lumino/widgets';

import { currentUser, IRunSummary, ISavedSearch, listRuns, listSearches } from './api';
import { el, formatValue, statusBadge } from './dom';

export interface ISidebarOptions {
  /** Open a run's detail in the main area. */
  openRun: (id: string) => void;
  /** Insert a `flowlab.compare([...])` cell for the ticked runs. */
  compare: (ids: string[]) => void;
  /** Milliseconds between refreshes of the list (live status). */
  pollInterval?: number;
}

export class FlowlabSidebar extends Widget {
  constructor(private readonly options: ISidebarOptions) {
    super();
    this.id = 'flowlab-sidebar';
    this.title.caption = 'Flowlab runs';
    this.addClass('flowlab-sidebar');

    this.queryInput = el('input', {
      class: 'flowlab-query jp-mod-styled',
      type: 'search',
      placeholder: 'query, e.g. workflow = "iris" and outputs.logloss < 0.3',
      title: "flowlab's query language; Enter to search"
    });
    this.queryInput.addEventListener('keydown', event => {
      if (event.key === 'Enter') {
        void this.refresh();
      }
    });
    this.mineBox = el('input', { type: 'checkbox' });
    this.mineBox.addEventListener('change', () => void this.refresh());
    this.mineLabel = el('span', {}, 'mine');
    const mine = el(
      'label',
      { class: 'flowlab-mine', title: 'only the runs you launched (user = "<you>")' },
      this.mineBox,
      this.mineLabel
    );
    this.compareButton = el('button', { class: 'flowlab-compare jp-mod-styled' }, 'Compare');
    this.compareButton.addEventListener('click', () => this.options.compare(this.ticked()));
    this.node.append(
      el('div', { class: 'flowlab-header' }, el('h3', {}, 'Flowlab')),
      this.queryInput,
      this.queryError,
      el('div', { class: 'flowlab-section' }, 'Saved searches'),
      this.searchList,
      el('div', { class: 'flowlab-section' }, 'Runs', mine, this.compareButton),
      this.runList
    );
    this.updateCompare();
  }

  /** The ids of the ticked runs, in list order. */
  ticked(): string[] {
    return Array.from(this.selected).filter(id => this.shown.has(id));
  }

  /** Re-read the runs (and the saved searches) for the current query. */
  async refresh(): Promise<void> {
    const query = this.queryInput.value;
    try {
      const user = this.mineBox.checked ? await this.me() : undefined;
      const [runs, searches] = await Promise.all([listRuns(query, 50, user), listSearches()]);
      this.queryError.textContent = '';
      this.queryInput.classList.remove('flowlab-invalid');
      this.renderSearches(searches);
      this.renderRuns(runs);
    } catch (error) {
      this.queryError.textContent = (error as Error).message;
      this.queryInput.classList.add('flowlab-invalid');
    }
  }

  /** Who "mine" means: asked of the server once, then shown beside the box. */
  private async me(): Promise<string> {
    if (this.user === null) {
      this.user = await currentUser();
      this.mineLabel.textContent = `mine (${this.user})`;
    }
    return this.user;
  }

  protected onAfterAttach(): void {
    void this.refresh();
    this.timer = window.setInterval(() => {
      if (this.isVisible) {
        void this.refresh();
      }
    }, this.options.pollInterval ?? 3000);
  }

  protected onBeforeDetach(): void {
    window.clearInterval(this.timer);
  }

  private renderSearches(searches: ISavedSearch[]): void {
    const items = searches.map(search => {
      const item = el('li', { class: 'flowlab-search', title: search.query }, search.name);
      item.addEventListener('click', () => {
        this.queryInput.value = search.query;
        void this.refresh();
      });
      return item;
    });
    this.searchList.replaceChildren(
      ...(items.length ? items : [el('li', { class: 'flowlab-empty' }, 'none saved')])
    );
  }

  private renderRuns(runs: IRunSummary[]): void {
    this.shown = new Set(runs.map(run => run.id));
    const items = runs.map(run => {
      const box = el('input', { type: 'checkbox', title: 'tick to compare' });
      box.checked = this.selected.has(run.id);
      box.addEventListener('change', () => {
        if (box.checked) {
          this.selected.add(run.id);
        } else {
          this.selected.delete(run.id);
        }
        this.updateCompare();
      });
      const metrics = Object.entries(run.outputs)
        .filter(([, value]) => typeof value === 'number')
        .map(([name, value]) => `${name} ${formatValue(value)}`)
        .join(', ');
      const label = el(
        'span',
        {
          class: 'flowlab-run-label',
          title: `open run ${run.id}` + (run.user ? ` (launched by ${run.user})` : '')
        },
        el('b', {}, run.workflow),
        ' ',
        el('code', {}, run.id),
        el('div', { class: 'flowlab-metrics' }, metrics)
      );
      label.addEventListener('click', () => this.options.openRun(run.id));
      return el(
        'li',
        { class: 'flowlab-run-item', 'data-run': run.id, 'data-status': run.status },
        box,
        label,
        statusBadge(run.status)
      );
    });
    this.runList.replaceChildren(
      ...(items.length ? items : [el('li', { class: 'flowlab-empty' }, 'no runs match')])
    );
    this.updateCompare();
  }

  private updateCompare(): void {
    const count = this.ticked().length;
    this.compareButton.disabled = count < 2;
    this.compareButton.textContent = count ? `Compare (${count})` : 'Compare';
    this.compareButton.title = 'insert flowlab.compare([...]) into the current notebook';
  }

  private readonly queryInput: HTMLInputElement;
  private readonly queryError = el('div', { class: 'flowlab-query-error', role: 'alert' });
  private readonly searchList = el('ul', { class: 'flowlab-searches' });
  private readonly runList = el('ul', { class: 'flowlab-runs' });
  private readonly compareButton: HTMLButtonElement;
  private readonly mineBox: HTMLInputElement;
  private readonly mineLabel: HTMLSpanElement;
  private user: string | null = null;
  private readonly selected = new Set<string>();
  private shown = new Set<string>();
  private timer = 0;
}
