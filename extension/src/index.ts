// Flowlab in JupyterLab: a sidebar of runs, run details, Compare and a workflow-cell command.
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  IFrame,
  MainAreaWidget,
  showErrorMessage,
  WidgetTracker
} from '@jupyterlab/apputils';
import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';
import { LabIcon } from '@jupyterlab/ui-components';

import { dashboardUrl, getStates } from './api';
import { showStateColours } from './dom';

import { dashboardWidget, showDashboardError } from './dashboard';
import { RunDetail } from './detail';
import { FlowlabSidebar } from './sidebar';

import flowIconSvg from '../style/flowlab.svg';

export const WORKFLOW_TEMPLATE = `%%workflow

from flowlab import Output, types, workflow


@workflow(input_schema=types.Schema(x=types.INTEGER(min=0)),
          returns=types.Schema(total=types.INTEGER))
def my_workflow(x=1):
    """What this workflow does.

    Args:
        x: what x means
    """
    return Output(total=x)
`;

export namespace CommandIDs {
  export const newWorkflowCell = 'flowlab:new-workflow-cell';
  export const compare = 'flowlab:compare';
  export const openRun = 'flowlab:open-run';
  export const openDashboard = 'flowlab:open-dashboard';
}

const flowIcon = new LabIcon({ name: 'flowlab:icon', svgstr: flowIconSvg });

/** Insert a code cell with `source` below the active cell of the current notebook. */
function insertCell(tracker: INotebookTracker, source: string, atEnd = false): boolean {
  const panel = tracker.currentWidget;
  if (!panel) {
    void showErrorMessage('Flowlab', 'Open a notebook first: the cell goes into the current one.');
    return false;
  }
  const notebook = panel.content;
  if (atEnd && notebook.widgets.length > 0) {
    // a comparison made from the sidebar goes after everything, not amid the cells above
    notebook.activeCellIndex = notebook.widgets.length - 1;
  }
  NotebookActions.insertBelow(notebook);
  const cell = notebook.activeCell;
  cell?.model.sharedModel.setSource(source);
  if (cell) {
    void notebook.scrollToCell(cell);
  }
  return true;
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'flowlab:plugin',
  description: 'A sidebar of flowlab runs, run details, Compare and workflow cells.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null
  ) => {
    const { commands, shell } = app;
    getStates().then(
      states => showStateColours(states.colours),
      error => console.warn('flowlab: no state colours from the server', error)
    );

    commands.addCommand(CommandIDs.newWorkflowCell, {
      label: 'Flowlab: new workflow cell',
      caption: 'Insert a %%workflow cell template into the current notebook',
      execute: () => insertCell(tracker, WORKFLOW_TEMPLATE)
    });
    commands.addCommand(CommandIDs.compare, {
      label: 'Flowlab: compare runs',
      execute: args => {
        const ids = (args.ids as string[] | undefined) ?? [];
        const listed = ids.map(id => JSON.stringify(id)).join(', ');
        return insertCell(tracker, `import flowlab\n\nflowlab.compare([${listed}])`, true);
      }
    });
    // one tracker per kind of tab: the open commands find a run's tab in it instead of opening
    // a second one, and the layout restorer reopens the tracked tabs after a reload by running
    // the same commands with the saved arguments
    const runs = new WidgetTracker<MainAreaWidget<RunDetail>>({ namespace: 'flowlab-run' });
    const dashboards = new WidgetTracker<MainAreaWidget<IFrame>>({
      namespace: 'flowlab-dashboard'
    });
    void restorer?.restore(runs, {
      command: CommandIDs.openRun,
      args: widget => ({ id: widget.content.runId }),
      name: widget => widget.content.runId
    });
    void restorer?.restore(dashboards, {
      command: CommandIDs.openDashboard,
      // the restorer waits for every restored tab's command before it shows the page: the
      // dashboard's tab comes back at once, its spinner waiting for the dashboard to start
      args: () => ({ atOnce: true }),
      name: () => 'dashboard'
    });

    commands.addCommand(CommandIDs.openRun, {
      label: args => `Flowlab: open run ${(args.id as string) ?? ''}`,
      execute: args => {
        const id = args.id as string;
        const open = runs.find(widget => widget.content.runId === id);
        if (open) {
          shell.activateById(open.id);
          return open;
        }
        const widget = new MainAreaWidget({ content: new RunDetail(id) });
        widget.id = `flowlab-run-panel-${id}`;
        widget.title.icon = flowIcon;
        void runs.add(widget);
        shell.add(widget, 'main');
        return widget;
      }
    });
    commands.addCommand(CommandIDs.openDashboard, {
      label: 'Flowlab: open dashboard',
      caption: "Open flowlab's dashboard (runs, compare, sweeps, launch) in a tab",
      execute: async args => {
        const open = dashboards.currentWidget;
        if (open) {
          shell.activateById(open.id);
          return open;
        }
        const url = dashboardUrl(); // the server starts `flowlab ui` once: seconds
        if (!args.atOnce) {
          // asked for, the tab opens once the dashboard answers, or a dialog says why not
          try {
            await url;
          } catch (error) {
            showDashboardError(error);
            return;
          }
        }
        const widget = dashboardWidget(flowIcon, url);
        void dashboards.add(widget);
        shell.add(widget, 'main');
        return widget;
      }
    });
    palette?.addItem({ command: CommandIDs.newWorkflowCell, category: 'Flowlab' });
    palette?.addItem({ command: CommandIDs.openDashboard, category: 'Flowlab' });

    const sidebar = new FlowlabSidebar({
      openRun: id => void commands.execute(CommandIDs.openRun, { id }),
      compare: ids => void commands.execute(CommandIDs.compare, { ids })
    });
    sidebar.title.icon = flowIcon;
    shell.add(sidebar, 'left', { rank: 600 });
    restorer?.add(sidebar, sidebar.id);

    // A run link in a notebook's output (a sweep's or a study's top runs) opens the run's
    // detail beside the notebook; its href is the dashboard's relative page, which inside
    // JupyterLab would navigate the whole tab away from every open notebook.
    document.addEventListener(
      'click',
      event => openRunLink(event, id => void commands.execute(CommandIDs.openRun, { id })),
      true
    );
  }
};

/** Open the run a clicked `a[data-flowlab-run]` names, instead of following its href. */
export function openRunLink(event: MouseEvent, openRun: (id: string) => void): void {
  const target = event.target as Element | null;
  const link = target?.closest?.('a[data-flowlab-run]') as HTMLAnchorElement | null;
  const id = link?.dataset.flowlabRun;
  if (!link || !id) {
    return;
  }
  event.preventDefault();
  event.stopPropagation();
  openRun(id);
}

export default plugin;
