"""What a writer of the shared store plants is shown as text on every HTML surface, never run.

Each test plants a run record (or a catalog entry) whose every string is markup, through the
store API as another writer of the store would, and checks the HTML that a renderer, a
dashboard page builder, the Jupyter API or a notebook widget makes of it: the planted text is
there, escaped, and no element, attribute or ``javascript:`` link of it is.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.security.test_store_trust import plant_entry

ROOT = Path(__file__).resolve().parents[2]

#: markup in element content, in a ``<pre>`` and in a quoted attribute
IMG = "<img src=x onerror=alert(1)>"
PRE = "</pre><script>alert(2)</script>"
ATTR = "\"'><img src=x onerror=alert(3)>"
HOSTILE = (IMG, PRE, ATTR)
#: elements a planted string must never become
SCRIPTED_TAGS = {"img", "script", "iframe", "object", "embed", "svg:script"}
#: URL schemes a planted string must never become a link to
SCRIPTED_SCHEMES = {"javascript", "data", "vbscript"}


class _Elements(HTMLParser):
    """The start tags of an HTML text, with their attributes (entities decoded)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def assert_inert(shown: str, *texts: str) -> None:
    """Nothing planted is markup in ``shown`` (no element of it, no event handler attribute, no
    script link); each of ``texts`` is there, escaped."""
    for raw in ("<img", "<script"):
        assert raw not in shown.lower(), f"{raw!r} left unescaped in: …{_near(shown, raw)}…"
    parser = _Elements()
    parser.feed(shown)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag not in SCRIPTED_TAGS, f"<{tag}> made of a planted string"
        for name, value in attrs:
            assert not name.startswith("on"), f"<{tag} {name}=…>: an event handler attribute"
            if name in ("href", "src", "xlink:href", "action", "formaction") and value:
                scheme = urllib.parse.urlsplit(value.strip()).scheme.lower()
                assert scheme not in SCRIPTED_SCHEMES, f"<{tag} {name}={value!r}>"
    for text in texts:
        assert html.escape(text) in shown, f"{text!r} is not shown (escaped) in {shown[:300]!r}"


def _near(shown: str, raw: str) -> str:
    at = shown.lower().find(raw)
    return shown[max(0, at - 120) : at + 80]


def _now(offset: float = 0.0) -> str:
    return (dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=offset)).isoformat()


def hostile_record(status: str = "succeeded", **changes) -> dict:
    """A run record as a hostile writer makes it: markup in every string it can hold."""
    from flowlab.core.record.records import new_run_id

    record = {
        "id": new_run_id(),
        "workflow": IMG,
        "status": status,
        "created": _now(-5),
        "started": _now(-4),
        "ended": _now(),
        "tags": list(HOSTILE),
        "notes": list(HOSTILE),
        "seed": ATTR,
        "parent": ATTR,
        "inputs": {
            IMG: PRE,
            ATTR: ATTR,
            "data": {"$uri": "s3://bucket/x", "catalog": IMG},
            "frame": {"$artifact": "x", "type": IMG, "hash": ATTR},
        },
        "outputs": {IMG: PRE, "loss": 0.5, ATTR: IMG},
        "graph": {
            "nodes": [
                {"id": IMG, "operator": ATTR},
                {"id": ATTR, "operator": PRE, "mapped": True},
            ],
            "edges": [[IMG, ATTR]],
            "returns": {IMG: {"x-flowlab-type": "TEXT"}, "loss": {"x-flowlab-type": "DOUBLE"}},
        },
        "operators": {
            IMG: {
                "state": ATTR,
                "worker": IMG,
                "started": _now(-4),
                "ended": _now(-2),
                "duration": 2.0,
                "logs": f"{IMG}\n{PRE}",
                "traceback": PRE,
                "error": IMG,
            },
            ATTR: {
                "state": "running",
                "worker": ATTR,
                "duration": 1.0,
                "elements": {"total": ATTR, "done": IMG, "cached": PRE, "failed": IMG},
            },
        },
        "error": {"operator": IMG, "message": PRE},
    }
    record.update(changes)
    return record


def plant(store, record: dict) -> str:
    store.put_run(record)
    return record["id"]


@pytest.fixture
def planted(store) -> str:
    """The id of a succeeded hostile run in the session's store."""
    return plant(store, hostile_record())


@pytest.fixture
def planted_failed(store) -> str:
    return plant(store, hostile_record(status="failed"))


def run_of(store, run_id: str):
    from flowlab.core.runs.run import Run

    return Run(store.get_run(run_id), store=store)


def attributes(shown: str, name: str) -> list[str]:
    """The values of every ``name="…"`` / ``name='…'`` attribute in ``shown``."""
    return [a or b for a, b in re.findall(rf"\b{name}=(?:\"([^\"]*)\"|'([^']*)')", shown)]


# -- flowlab/render: the run view, the DAG, outputs, comparisons, sweeps --------------------------
def test_run_html_of_a_planted_run_shows_its_strings_as_text(store, planted, planted_failed):
    from flowlab.render.run import run_html

    shown = run_html(run_of(store, planted))
    assert_inert(shown, IMG, PRE, ATTR)
    # an operator state is an attribute value and a count, both escaped
    assert f'data-state="{html.escape(ATTR)}"' in shown
    failed = run_html(run_of(store, planted_failed), expanded=True)
    assert_inert(failed, IMG, PRE)


def test_the_operator_table_escapes_planted_states_in_attributes_and_badges():
    from flowlab.render.run import operator_table, state_counts

    shown = operator_table({"op": {"state": ATTR}, IMG: {"state": IMG, "worker": PRE}})
    assert_inert(shown, IMG, ATTR, PRE)
    assert f'data-state="{html.escape(ATTR)}"' in shown
    # the counts are text (the CLI prints them): the HTML views escape them
    assert state_counts([IMG, "succeeded"]) == f"1 succeeded · 1 {IMG}"


def test_the_dag_svg_escapes_node_ids_states_and_element_counts():
    from flowlab.render import record_dag_svg

    shown = record_dag_svg(hostile_record())
    assert_inert(shown, IMG, ATTR)
    for value in attributes(shown, "data-state") + attributes(shown, "data-elements"):
        assert "<" not in value and '"' not in value


def test_a_file_output_never_links_a_script_url():
    from flowlab.render import render_html

    file_type = {"x-flowlab-type": "FILE"}
    for planted_path in (
        "javascript:alert(1)",
        "JavaScript:alert(1)//x.csv",
        "javascript://%0aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        " javascript:alert(1)",
        ATTR,
    ):
        shown = render_html(planted_path, file_type, name=IMG)
        for href in attributes(shown, "href"):
            scheme = urllib.parse.urlsplit(html.unescape(href).strip()).scheme.lower()
            assert scheme in ("", "file", "http", "https"), f"{planted_path!r} links {href!r}"
        assert "<script" not in shown and "<img" not in shown
    # a web address is still a link, a relative path too
    assert 'href="https://example.com/report.csv"' in render_html(
        "https://example.com/report.csv", file_type
    )
    assert 'href="reports/a%20b.csv"' in render_html("reports/a b.csv", file_type)


def test_plain_and_number_outputs_with_planted_names_are_text():
    """Escaped already: kept as a guard."""
    from flowlab.render import render_html

    assert_inert(render_html(PRE, {}, name=IMG), IMG, PRE)
    assert_inert(render_html(0.5, {"x-flowlab-type": "DOUBLE"}, name=IMG), IMG)
    assert_inert(render_html({IMG: [PRE]}, {}, name=ATTR))


def test_a_dataset_output_with_planted_columns_and_cells_is_text():
    """Escaped already (its dtype names are escaped now too): kept as a guard."""
    import pandas as pd

    from flowlab.render import render_html

    frame = pd.DataFrame({IMG: [PRE, ATTR]}, index=[IMG, PRE])
    assert_inert(render_html(frame, {"x-flowlab-type": "DATASET"}, name=ATTR), IMG, PRE, ATTR)


def test_comparison_of_planted_runs_is_text(store, planted, planted_failed):
    """Already escaped before this audit: kept as a guard."""
    from flowlab.render import compare

    shown = compare([run_of(store, planted), run_of(store, planted_failed)])._repr_html_()
    assert_inert(shown, IMG, PRE, ATTR)


def test_sweep_top_table_quotes_run_ids_in_its_links_and_escapes_names():
    import xarray as xr

    from flowlab.render.sweeps import top_table

    run_id = 'r1&x=1"><img src=x onerror=alert(1)>'
    ds = xr.Dataset(
        {
            "status": ("trial", [IMG, "succeeded"]),
            "run_id": ("trial", [run_id, "r2"]),
            IMG: ("trial", [0.5, 0.25]),
        },
        coords={"trial": [0, 1], ATTR: ("trial", [PRE, ATTR])},
    )
    shown = top_table(ds, IMG)
    assert_inert(shown, IMG, PRE, ATTR)
    assert f"href='run?id={urllib.parse.quote(run_id, safe='')}'" in shown


def test_a_sweep_of_planted_children_renders_as_text():
    """A sweep's view as the notebook and the dashboard draw it, from planted records' names
    and values: escaped already, kept as a guard (its links: the test above)."""
    from flowlab.render import render_html
    from flowlab.render import sweeps as sweep_views

    class FakeSweep:  # what the sweep renderers read of a Sweep
        kind = "sweep"
        id = ATTR
        status = IMG
        record = {"workflow": IMG}
        detail = {"mode": "grid", "grid": {ATTR: [PRE, IMG]}}

        @property
        def results(self):
            import xarray as xr

            return xr.Dataset(
                {
                    "status": (ATTR, [IMG, "succeeded"]),
                    "run_id": (ATTR, [IMG, "r2"]),
                    PRE: (ATTR, [0.5, 0.25]),
                },
                coords={ATTR: [PRE, IMG]},
            )

    assert sweep_views._is_line(sweep_views.Subject(FakeSweep()))
    assert_inert(render_html(FakeSweep()), IMG, PRE, ATTR)


def test_a_run_without_the_render_layer_still_escapes_its_repr(store, planted, monkeypatch):
    import flowlab.core.runs.run as core_run

    monkeypatch.setattr(core_run, "_RUN_HTML", None)
    assert_inert(run_of(store, planted)._repr_html_(), IMG)


def test_a_run_list_table_escapes_planted_values(store, planted):
    """pandas' to_html escapes: kept as a guard."""
    from flowlab.store.search import runs

    shown = runs(f'id = "{planted}"', store=store)._repr_html_()
    assert_inert(shown, IMG, PRE)


# -- flowlab/dashboard ---------------------------------------------------------------------------
def test_dashboard_runs_table_escapes_cells_and_quotes_the_run_link(store, planted):
    from flowlab.dashboard.rows import row_of, runs_page, table_html

    page = runs_page(f'id = "{planted}"', store=store)
    assert page.ids == [planted]
    assert_inert(table_html(page), IMG, PRE)
    # an id that is not flowlab's own shape goes into the link percent-encoded
    summary = {**store.get_run(planted), "id": ATTR}
    row = row_of(summary, page.columns)
    assert f"href='run?id={urllib.parse.quote(ATTR, safe='')}'" in row["id"]
    assert_inert(row["id"] + row["status"], ATTR)


def test_dashboard_run_page_parts_escape_the_record(store, planted):
    """``inputs_html`` and ``metrics_html`` escaped already: kept as guards."""
    from flowlab.dashboard.app import inputs_html, metrics_html

    record = store.get_run(planted)
    assert_inert(inputs_html(record), IMG, PRE, ATTR)
    assert_inert(metrics_html(record), IMG, PRE)


def test_dashboard_run_view_escapes_the_record_and_quotes_its_links(store, planted):
    from flowlab.dashboard.app import RunView
    from flowlab.dashboard.plugins import Plugins

    view = RunView(run_of(store, planted), Plugins([], [], {}))
    assert_inert(view.body.object, IMG, PRE, ATTR)
    assert_inert(view.notes.object, IMG, PRE, ATTR)
    rerun = view.rerun_link.object
    assert_inert(rerun)
    assert f"workflow={urllib.parse.quote(IMG, safe='')}" in rerun


def test_dashboard_live_table_titles_are_text(store, planted):
    """Tabulator puts a column title into the page with innerHTML: a planted output name must
    reach it escaped (cells go through Bokeh's StringFormatter, which escapes them)."""
    from flowlab.dashboard.app import RunsView

    view = RunsView(store, f'id = "{planted}"')
    titles = view.table.titles
    assert html.escape(IMG) in titles.values()
    for title in titles.values():
        assert_inert(title)
    # only the id and status columns are HTML (built escaped); every other cell is text
    assert set(view.table.formatters) == {"id", "status"}


def test_dashboard_compare_link_quotes_run_ids(store):
    import pandas as pd

    from flowlab.dashboard.app import RunsView
    from flowlab.dashboard.rows import RunsPage

    view = RunsView(store, 'id = "none-such"')
    view.page = RunsPage(rows=[], total=2, page=0, page_size=50, ids=[ATTR, IMG])
    view.table.value = pd.DataFrame({"id": ["a", "b"]})
    view.table.selection = [0, 1]
    view._update_compare()
    shown = view.compare_link.object
    assert_inert(shown)
    quoted = ",".join(urllib.parse.quote(i, safe="") for i in (ATTR, IMG))
    assert f"compare?ids={quoted}&amp;baseline={urllib.parse.quote(ATTR, safe='')}" in shown


def test_dashboard_snapshot_in_a_notebook_escapes_the_rows(store, planted):
    """``table_html`` escaped its cells already: kept as a guard."""
    from flowlab.dashboard import Dashboard

    snapshot = Dashboard.__new__(Dashboard)  # the snapshot only, without the live Panel view
    snapshot.query = f'id = "{planted}"'
    assert_inert(snapshot.snapshot_html(), IMG, PRE)


# -- flowlab/jupyter: the run detail the lab extension inserts with innerHTML --------------------
def test_jupyter_run_detail_html_and_dag_are_escaped(store, planted):
    from flowlab.jupyter.api import run_detail

    detail = run_detail(planted)
    assert_inert(detail["html"], IMG, PRE)
    assert_inert(detail["dag"], IMG, ATTR)
    # the other fields are data: the extension puts them in the page as text
    assert detail["workflow"] == IMG and IMG in detail["tags"]


def test_jupyter_run_detail_file_output_is_no_script_link(store):
    from flowlab.jupyter.api import run_detail

    record = hostile_record(
        outputs={"report": "javascript:alert(1)"},
        graph={"nodes": [], "edges": [], "returns": {"report": {"x-flowlab-type": "FILE"}}},
    )
    shown = run_detail(plant(store, record))["html"]
    assert "report" in shown and "javascript:alert(1)" in shown  # shown, as text
    assert all("javascript:" not in h for h in attributes(shown, "href"))


def test_the_extension_inserts_only_server_rendered_html_with_innerHTML():
    """Store strings (tags, statuses, workflow names, logs, errors) go in as text: ``el()``
    appends strings as text nodes and sets attributes with setAttribute. Only the run's
    ``html`` and ``dag``, escaped by the server (tests above), use innerHTML. A guard."""
    sources = {p.name: p.read_text() for p in (ROOT / "extension" / "src").glob("*.ts")}
    uses = [
        (name, line.strip())
        for name, text in sources.items()
        for line in text.splitlines()
        if re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", line)
    ]
    assert uses == [
        ("detail.ts", "outputs.innerHTML = run.html || '<i>no outputs yet</i>';"),
        ("detail.ts", "dag.innerHTML = run.dag;"),
    ]
    assert "node.append(...children)" in sources["dom.ts"]
    assert "node.setAttribute(key, value)" in sources["dom.ts"]


# -- flowlab/notebook: ipywidgets HTML widgets ---------------------------------------------------
def test_notebook_run_view_widgets_escape_the_record(store, planted, planted_failed):
    from flowlab.notebook.runview import RunView

    for run_id in (planted, planted_failed):
        view = RunView(run_of(store, run_id))
        for widget in (view.header, view.progress_label, view.table, view.dag, view.details):
            assert_inert(widget.value)
        for widget in view.logs.children:
            assert_inert(widget.value, IMG, PRE)
        assert_inert(view.snapshot_html(), IMG, PRE, ATTR)
    assert html.escape(ATTR) in RunView(run_of(store, planted)).progress_label.value


def test_notebook_run_browser_escapes_planted_runs(store, planted):
    """Cells and the snapshot were escaped already: kept as a guard."""
    from flowlab.notebook.browser import RunBrowser

    browser = RunBrowser(f'id = "{planted}"')
    assert browser.run_ids == [planted]
    assert_inert(browser.snapshot_html(), IMG, PRE)
    for cell in browser.table.children:
        if hasattr(cell, "value") and isinstance(cell.value, str):
            assert_inert(cell.value)


def test_notebook_comparison_view_escapes_planted_runs(store, planted, planted_failed):
    """Escaped already: kept as a guard."""
    from flowlab.notebook.comparison import ComparisonView
    from flowlab.render import compare

    view = ComparisonView(compare([run_of(store, planted), run_of(store, planted_failed)]))
    assert_inert(view.table.value, IMG, PRE, ATTR)
    assert_inert(view.snapshot_html(), IMG, PRE, ATTR)


def test_notebook_form_of_a_planted_catalog_entry_escapes_its_texts(store):
    """A catalog entry's name, description and input descriptions: escaped already, a guard."""
    from flowlab.core.runs.workflow_catalog import stored_workflow
    from flowlab.notebook.form import LaunchForm
    from flowlab.notebook.snapshot import form_html

    name = "planted_markup_" + IMG
    plant_entry(
        store,
        name,
        description=f"{PRE}\n\nmore {IMG}",
        inputs={"depth": {"x-flowlab-type": "INTEGER", "description": ATTR, "default": 1}},
    )
    form = LaunchForm(stored_workflow(name, store))
    for widget in form.children:
        if isinstance(getattr(widget, "value", None), str):
            assert_inert(widget.value)
    assert_inert(form.children[0].value, name, PRE)
    assert_inert(form_html(form.workflow, form.values(), form.errors), name)


def test_dashboard_launch_form_of_a_planted_catalog_entry_escapes_its_texts(store):
    """The field help and error lines: escaped already, kept as a guard."""
    from flowlab.core.runs.workflow_catalog import stored_workflow
    from flowlab.dashboard.app import LaunchView
    from flowlab.forms import FormModel

    name = "planted_launch_" + ATTR
    plant_entry(
        store,
        name,
        description=IMG,
        inputs={"depth": {"x-flowlab-type": "INTEGER", "description": PRE}},
    )
    view = LaunchView(FormModel(stored_workflow(name, store)))
    view.widgets["depth"].value = IMG  # not an integer: the error line quotes it
    shown = "".join(
        getattr(p, "object", "") or ""
        for row in view.rows
        for p in row.objects
        if isinstance(getattr(p, "object", None), str)
    )
    assert_inert(shown, PRE)
    assert "✗" in view.errors["depth"].object
    assert_inert(view.errors["depth"].object)
