"""The test suite waits in exactly one way: :func:`tests.polling.poll_for`.

No test sleeps a fixed time for something to happen, nor writes its own deadline loop: a wait
polls the condition it waits for, with a timeout scaled to the machine's load. Only the
modules below may sleep, because there the sleep is the workload a test runs (an operator
that takes time), not a wait. Code a test runs in another process and writes as a string
(``python -c`` scripts, a package's source) is that process's workload and is not read here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

# file (from the repository's root) -> why it may sleep; keep this short
ALLOWED = {
    "tests/polling.py": "poll_for itself: the one place a test waits",
    "tests/cli/flows.py": "workload: operators that run for the seconds they are given",
    "tests/core/ops.py": "workload: operators that run for the seconds they are given",
    "tests/core/seed_ops.py": "workload: pauses between draws, so that operators interleave",
    "tests/core/torch_seed_ops.py": "workload: pauses between draws, so that operators interleave",
    "tests/sweeps/ops.py": "workload: sweep children and a training curve that take time",
    "tests/notebook/workflows.py": "workload: the pause operator",
    "tests/browser/dashboard_flows.py": "workload: a run that stays running on the dashboard",
    "tests/store/test_crash_safety.py": "a random point of a writer's writes to kill it at",
}

CLOCKS = {"monotonic", "time", "perf_counter", "monotonic_ns", "time_ns"}


def _is_call(node: ast.AST, module: str, names: set[str]) -> bool:
    """``module.name(...)`` for a name in ``names``, or a bare ``name(...)``."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr in names and isinstance(func.value, ast.Name) and func.value.id == module
    return isinstance(func, ast.Name) and func.id in names and module == "time"


def hand_waits(source: str) -> list[tuple[int, str]]:
    """(line, what) of each fixed sleep and hand-written deadline loop in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if _is_call(node, "time", {"sleep"}) or _is_call(node, "asyncio", {"sleep"}):
            found.append((node.lineno, "a fixed sleep"))
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and "deadline" in t.id.lower() for t in targets):
                found.append((node.lineno, "a deadline"))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            if _is_call(node.left, "time", CLOCKS) or _is_call(node.right, "time", CLOCKS):
                found.append((node.lineno, "a deadline (the clock plus a timeout)"))
        elif isinstance(node, ast.While):
            if any(_is_call(inner, "time", CLOCKS) for inner in ast.walk(node)):
                found.append((node.lineno, "a loop that reads the clock"))
    return sorted(set(found))


def _sources() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "node_modules" not in p.parts)


def test_no_test_sleeps_or_writes_its_own_deadline_loop():
    offending = []
    for path in _sources():
        name = path.relative_to(ROOT).as_posix()
        if name in ALLOWED:
            continue
        for line, what in hand_waits(path.read_text()):
            offending.append(f"{name}:{line}: {what}")
    assert not offending, (
        "wait with tests.polling.poll_for(condition, timeout, what=...) instead:\n"
        + "\n".join(offending)
    )


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_each_allowed_module_exists_and_still_sleeps(name):
    """An entry whose file no longer sleeps (or is gone) comes off the list."""
    path = ROOT / name
    assert path.exists(), f"{name} is gone: take it off ALLOWED"
    assert hand_waits(path.read_text()), f"{name} no longer sleeps: take it off ALLOWED"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import time\ntime.sleep(1)\n", [(2, "a fixed sleep")]),
        ("from time import sleep\nsleep(0.5)\n", [(2, "a fixed sleep")]),
        (
            "import time\ndeadline = time.monotonic() + 5\n",
            [(2, "a deadline"), (2, "a deadline (the clock plus a timeout)")],
        ),
        (
            "import time\nstart = time.time()\nwhile time.time() - start < 5:\n    pass\n",
            [(3, "a loop that reads the clock")],
        ),
        ("import time\nstarted = time.monotonic()\nassert time.monotonic() - started < 9\n", []),
        ("CODE = 'import time; time.sleep(1)'\n", []),  # another process's workload
        ("from tests.polling import poll_for\npoll_for(lambda: True, 5, what='x')\n", []),
    ],
)
def test_the_check_finds_sleeps_and_deadline_loops_and_nothing_else(source, expected):
    assert hand_waits(source) == expected
