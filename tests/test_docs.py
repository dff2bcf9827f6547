"""Every Python example in docs/ runs as written: each page's blocks in order, in a fresh
interpreter with a home of its own."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"^( *)```python\n(.*?)^\1```", re.S | re.M)


def python_blocks(page: Path) -> list[str]:
    """The page's ```python blocks, dedented to where their fence starts."""
    return [
        "\n".join(line[len(indent) :] for line in body.splitlines())
        for indent, body in BLOCK.findall(page.read_text())
    ]


PAGES = sorted((ROOT / "docs").glob("**/*.md"))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_python_example_of_the_page_runs(page, tmp_path):
    blocks = python_blocks(page)
    if not blocks:
        pytest.skip(f"{page.name} has no Python examples")
    script = tmp_path / "examples.py"
    script.write_text("\n\n".join(blocks))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWLAB_")}
    env["FLOWLAB_HOME"] = str(tmp_path / "home")
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"{page}:\n{done.stderr[-3000:]}"
