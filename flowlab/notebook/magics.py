"""``%%workflow`` and ``%flow``: define, launch, find, show and compare from a cell."""

from __future__ import annotations

import ast
import linecache
import shlex
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import HTML, display

FLOW_HELP = """%flow runs QUERY                        run browser for a query of the store
%flow show RUN                          live view of a run (an id, or a Run variable)
%flow compare RUN RUN … [--baseline RUN] comparison table (first run is the baseline)
%flow cluster                           the Dask cluster flowlab uses"""


@magics_class
class FlowMagics(Magics):
    """The magics ``%load_ext flowlab`` registers."""

    _cells = 0

    @magic_arguments()
    @argument("--name", help="register the workflow under this name (default: its own)")
    @argument("--no-form", action="store_true", help="do not show the launch form")
    @argument(
        "--launch",
        nargs="+",
        metavar="KEY=VALUE",
        help="launch at once with these inputs; each VALUE is a Python expression "
        "evaluated in the notebook (--launch labeled_data=df max_depth=3)",
    )
    @cell_magic
    def workflow(self, line: str, cell: str):
        """Define a workflow in this cell, register it and show its launch form.

        The cell runs as ordinary Python; the workflow it defines (the one named by --name,
        else the last one) gets a launch form below the cell. Errors in the cell show as a
        normal traceback.

        Example::

            %%workflow --launch labeled_data="iris_labeled" max_depth=3
            @workflow(input_schema=..., returns=...)
            def iris(labeled_data, unlabeled_data, max_depth=4): ...
        """
        from flowlab.core.definition.workflow import Workflow

        args = parse_argstring(self.workflow, line)
        namespace = self.shell.user_ns
        before = {k: v for k, v in namespace.items() if isinstance(v, Workflow)}
        FlowMagics._cells += 1
        filename = f"<flowlab-workflow-cell-{FlowMagics._cells}>"
        # keep the source findable, so the workflow's version hash covers its code
        linecache.cache[filename] = (len(cell), None, cell.splitlines(True), filename)
        exec(compile(cell, filename, "exec"), namespace)  # noqa: S102 - the user's own cell
        defined = [
            (k, v)
            for k, v in namespace.items()
            if isinstance(v, Workflow) and before.get(k) is not v
        ]
        if not defined:
            raise UsageError(
                "%%workflow: the cell defined no workflow; decorate a function with "
                "@flowlab.workflow(...)"
            )
        variable, chosen = defined[-1]
        if args.name:
            chosen = Workflow(
                chosen.fn, input_schema=chosen.input_schema, returns=chosen.returns, name=args.name
            )
            namespace[variable] = chosen
        inputs = _parse_launch(args.launch or [], namespace)
        if args.no_form:
            if inputs:
                from flowlab.notebook.runview import RunView

                display(RunView(chosen.launch(**inputs)))
            return None
        from flowlab.notebook.form import LaunchForm

        form = LaunchForm(chosen, inputs)
        display(form)
        if inputs:
            form.launch()
        return None

    @line_magic
    def flow(self, line: str):
        """Find, show and compare runs; describe the cluster.

        Usage::

            %flow runs QUERY                        run browser for a query of the store
            %flow show RUN                          live view of a run (id or Run variable)
            %flow compare RUN RUN … [--baseline RUN] comparison table
            %flow cluster                           the Dask cluster flowlab uses
        """
        command, _, rest = line.strip().partition(" ")
        rest = rest.strip()
        if command in ("", "help", "-h", "--help"):
            print(FLOW_HELP)
            return None
        if command == "runs":
            from flowlab.notebook.browser import RunBrowser

            return RunBrowser(rest)
        if command == "show":
            from flowlab.notebook.runview import RunView

            if not rest:
                raise UsageError("%flow show RUN: name a run id or a Run variable")
            return RunView(self._run(rest))
        if command == "compare":
            from flowlab.render import compare

            words = shlex.split(rest)
            baseline = None
            if "--baseline" in words:
                at = words.index("--baseline")
                if at + 1 >= len(words):
                    raise UsageError("%flow compare: --baseline needs a run")
                baseline = self._run(words[at + 1])
                del words[at : at + 2]
            if not words:
                raise UsageError("%flow compare RUN RUN …: name the runs to compare")
            from flowlab.notebook.comparison import ComparisonView

            return ComparisonView(compare([self._run(w) for w in words], baseline=baseline))
        if command == "cluster":
            return HTML(cluster_html())
        raise UsageError(f"%flow: unknown command {command!r}\n{FLOW_HELP}")

    def _run(self, word: str):
        """A Run from a variable holding one, or from the store by id."""
        value = self.shell.user_ns.get(word)
        if value is not None and hasattr(value, "record") and hasattr(value, "id"):
            return value
        from flowlab.core.runs.run import Run
        from flowlab.store import get_store

        store = get_store()
        try:
            return Run(store.get_run(word), store=store)
        except KeyError:
            # a UsageError prints one line, no traceback
            raise UsageError(
                f"%flow: no run {word!r}: it is neither a Run variable of this notebook nor a "
                "run id in the store (find ids with %flow runs)"
            ) from None


def _parse_launch(pairs: list[str], namespace: dict) -> dict[str, Any]:
    inputs = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.isidentifier():
            raise UsageError(f"%%workflow --launch: {pair!r} is not KEY=VALUE")
        try:
            inputs[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            inputs[key] = eval(text, namespace)  # noqa: S307 - the user's own expression
    return inputs


def cluster_html() -> str:
    """The cluster flowlab uses: scheduler, dashboard link, and a table of its workers
    (threads, memory, resources with bytes in KiB/MiB/GiB, tasks)."""
    import html

    from dask.utils import format_bytes

    from flowlab.core.clusters import cluster

    client = cluster.get_client()
    info = client.scheduler_info(n_workers=-1)
    workers = info.get("workers", {})
    pad = "padding:2px 12px 2px 0"

    def resources(found: dict) -> str:
        return ", ".join(
            f"{k}={format_bytes(v) if k == 'MEMORY' else f'{v:g}'}" for k, v in found.items()
        )

    rows = "".join(
        f"<tr><td style='{pad}'>{html.escape(str(w.get('name', '')))}</td>"
        f"<td style='{pad}'><code>{html.escape(address)}</code></td>"
        f"<td style='{pad};text-align:right'>{w.get('nthreads', '')}</td>"
        f"<td style='{pad};text-align:right'>{format_bytes(w.get('memory_limit') or 0)}</td>"
        f"<td style='{pad};text-align:right'>"
        f"{format_bytes((w.get('metrics') or {}).get('memory') or 0)}</td>"
        f"<td style='{pad}'>{html.escape(resources(w.get('resources') or {}))}</td></tr>"
        for address, w in workers.items()
    )
    head = "".join(
        f"<th style='{pad};text-align:{a}'>{h}</th>"
        for h, a in (
            ("worker", "left"),
            ("address", "left"),
            ("threads", "right"),
            ("memory limit", "right"),
            ("memory used", "right"),
            ("resources", "left"),
        )
    )
    link = getattr(client, "dashboard_link", "") or ""
    threads = sum(w.get("nthreads", 0) for w in workers.values())
    memory = sum(w.get("memory_limit") or 0 for w in workers.values())
    return (
        f"<div class='flowlab-cluster'><div><b>scheduler</b> "
        f"<code>{html.escape(str(client.scheduler.address))}</code> · {len(workers)} workers · "
        f"{threads} threads · {format_bytes(memory)} · "
        f'<a href="{html.escape(link)}" target="_blank">dashboard</a></div>'
        f"<table style='border-collapse:collapse'><thead><tr>{head}</tr></thead>"
        f"<tbody>{rows}</tbody></table></div>"
    )
