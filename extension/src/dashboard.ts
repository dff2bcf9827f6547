// The dashboard (`flowlab ui`, started by the Jupyter server) in a main-area tab.
import { IFrame, MainAreaWidget, showErrorMessage } from '@jupyterlab/apputils';
import { LabIcon, launchIcon, ToolbarButton } from '@jupyterlab/ui-components';

const DASHBOARD_ID = 'flowlab-dashboard';

/** Say in a dialog why the dashboard did not open. */
export function showDashboardError(error: unknown): void {
  void showErrorMessage('Flowlab: open dashboard', (error as Error).message);
}

/** The dashboard's tab for the dashboard at `url` once it is known: JupyterLab's spinner until
 * then; when it cannot start, the tab goes and a dialog says why.
 *
 * The dashboard is served by 127.0.0.1 without a token, so the browser beside the Jupyter
 * server reaches it directly. */
export function dashboardWidget(icon: LabIcon, url: Promise<string>): MainAreaWidget<IFrame> {
  const frame = new IFrame({
    sandbox: ['allow-scripts', 'allow-same-origin', 'allow-forms', 'allow-popups', 'allow-downloads'],
    referrerPolicy: 'no-referrer'
  });
  const widget: MainAreaWidget<IFrame> = new MainAreaWidget({
    content: frame,
    reveal: url.then(
      found => {
        frame.url = found;
      },
      error => {
        widget.dispose();
        showDashboardError(error);
      }
    )
  });
  widget.id = DASHBOARD_ID;
  widget.title.label = 'Flowlab dashboard';
  widget.title.icon = icon;
  widget.title.closable = true;
  widget.toolbar.addItem(
    'open-in-tab',
    new ToolbarButton({
      icon: launchIcon,
      tooltip: 'Open the dashboard in a new browser tab',
      onClick: () => void url.then(found => window.open(found, '_blank', 'noopener'))
    })
  );
  return widget;
}
