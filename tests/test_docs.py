"""Every Python example in README.md and docs/ runs as written.

How a page is run:

- Its examples are its fenced ```python blocks and, on docs/ pages, its ```ipython blocks
  (notebook cells using IPython magics such as ``%load_ext flowlab`` and ``%%workflow``),
  taken in the order they appear on the page.
- All examples of one page run one after another in one fresh interpreter, with a
  FLOWLAB_HOME of its own in a temporary directory (also the working directory) and no other
  FLOWLAB_* setting: what an earlier block defines, later blocks use, and the page shows
  every such definition. Pages do not share anything.
- README.md runs as a script (its blocks saved as one file, run with ``python FILE``), as a
  newcomer copying the tour into a file would. A docs/ page runs as notebook cells: each block
  is one cell of an IPython shell, and the page fails at the first cell that raises.
- A block that cannot run here (it needs a Slurm or Kubernetes cluster, a server somewhere,
  a GPU) is preceded, on the line right before its opening fence, by the visible marker
  ``<!-- not run: REASON -->``. The reason is required; a marker not followed by an example
  is an error.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^( *)```(python|ipython)[^\n]*\n(.*?)^\1```", re.S | re.M)
NOT_RUN = re.compile(r"<!--\s*not run:?(.*?)-->")
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
SCRIPT_PAGES = {ROOT / "README.md"}

# Runs a page's cells in an IPython shell, stopping at the first that fails.
CELL_RUNNER = """
import json, sys, time
from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance(colors="NoColor")
cells = json.loads(open(sys.argv[1]).read())
for number, (line, code) in enumerate(cells, 1):
    print(f"--- example {number} (line {line})", flush=True)
    started = time.monotonic()
    if not shell.run_cell(code, store_history=True).success:
        print(f"example {number} (line {line}) failed", file=sys.stderr)
        sys.exit(1)
    print(f"--- example {number}: {time.monotonic() - started:.1f} s", flush=True)
"""


@dataclass
class Example:
    line: int  # where its opening fence is
    language: str
    code: str
    not_run: str | None  # the reason, when the page marks it not run


def examples(page: Path) -> list[Example]:
    """The page's ```python and ```ipython blocks, dedented to where their fence starts."""
    text = page.read_text()
    found = []
    for match in FENCE.finditer(text):
        indent, language, body = match.groups()
        line = text.count("\n", 0, match.start()) + 1
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1].strip()
        marker = NOT_RUN.fullmatch(before)
        code = "\n".join(row[len(indent) :] for row in body.splitlines())
        found.append(Example(line, language, code, marker and marker.group(1).strip()))
    return found


def page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


def run_env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWLAB_")}
    env["FLOWLAB_HOME"] = str(home)
    return env


def test_examples_are_read_in_order_with_their_not_run_reasons(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "<!-- not run: -->\n```python\nx\n```\n<!-- not run: needs a GPU -->\n"
        "```python\ny\n```\n```python\nz\n```\n"
    )
    assert [(e.code, e.not_run) for e in examples(page)] == [
        ("x", ""),
        ("y", "needs a GPU"),
        ("z", None),
    ]


@pytest.mark.timeout(900)  # a page starts a cluster and runs workflows: minutes on a busy machine
@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_python_example_of_the_page_runs(page, tmp_path):
    runnable = [e for e in examples(page) if e.not_run is None]
    if not runnable:
        pytest.skip(f"{page.name} has no examples to run")
    if page in SCRIPT_PAGES:
        script = tmp_path / "examples.py"
        script.write_text("\n\n".join(e.code for e in runnable))
        command = [sys.executable, str(script)]
    else:
        cells = tmp_path / "examples.json"
        cells.write_text(json.dumps([(e.line, e.code) for e in runnable]))
        command = [sys.executable, "-c", CELL_RUNNER, str(cells)]
    done = subprocess.run(
        command,
        cwd=tmp_path,
        env=run_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=840,
    )
    assert done.returncode == 0, f"{page}:\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}"


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_example_left_out_says_why(page):
    for example in examples(page):
        assert example.not_run != "", (
            f"{page_id(page)}, line {example.line}: '<!-- not run: REASON -->' needs a reason"
        )
    text = page.read_text()
    markers = [m.start() for m in NOT_RUN.finditer(text)]
    marked = sum(e.not_run is not None for e in examples(page))
    assert len(markers) == marked, (
        f"{page_id(page)}: a '<!-- not run: … -->' marker must be the line right before an "
        "example's opening ```python or ```ipython fence"
    )


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_python_is_fenced_so_that_it_runs(page):
    """```py, ```python3 or ```pycon would be left out of the run: Python is ```python (or
    ```ipython for a cell with magics)."""
    other = re.findall(r"^ *```(py|python3|pycon|ipython3)\b", page.read_text(), re.M)
    assert not other, f"{page_id(page)}: fence Python as ```python or ```ipython, not {other}"


def test_readme_shows_no_magics():
    """The README's examples run as a plain script, so they use no IPython magic."""
    assert all(e.language == "python" for e in examples(ROOT / "README.md"))


def test_the_docs_build_strictly(tmp_path):
    """`mkdocs build --strict`: every page in the nav, every link and anchor resolves."""
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
