"""Caching and resume per mapped element: only the elements not done before run."""

from __future__ import annotations

from pathlib import Path

from tests.sweeps.ops import logged_fan


def _ran(log: Path) -> list[int]:
    return sorted(int(line) for line in log.read_text().split()) if log.exists() else []


def test_a_map_list_that_gained_an_element_runs_only_the_new_element(client, tmp_path):
    log = tmp_path / "calls.txt"
    first = logged_fan.launch(values=[1, 2, 3], log=str(log))
    assert first.result(timeout=120).squares == [1, 4, 9]
    assert _ran(log) == [1, 2, 3]
    log.unlink()

    second = logged_fan.launch(values=[1, 2, 3, 4], log=str(log))
    assert second.result(timeout=120).squares == [1, 4, 9, 16]
    assert _ran(log) == [4]
    elements = second.operators["logged_square.map"].elements
    assert elements == {"total": 4, "done": 4, "cached": 3, "failed": 0}


def test_resume_reruns_only_the_mapped_element_that_failed(client, tmp_path):
    log = tmp_path / "calls.txt"
    fail = Path(f"{log}.fail-20")
    fail.touch()
    failed = logged_fan.launch(values=[10, 20, 30], log=str(log))
    failed.wait(timeout=120)
    assert failed.status == "failed"
    op = failed.operators["logged_square.map"]
    assert op.state == "failed"
    assert "element 1 of operator 'logged_square.map' failed" in op.error
    assert "x=20 fails on purpose" in op.error
    assert op.elements == {"total": 3, "done": 2, "cached": 0, "failed": 1}
    assert _ran(log) == [10, 20, 30]

    log.unlink()
    fail.unlink()
    resumed = failed.resume()
    assert resumed.result(timeout=120).squares == [100, 400, 900]
    assert resumed.parent == failed.id
    assert _ran(log) == [20]
    assert resumed.operators["logged_square.map"].elements["cached"] == 2


def test_without_cache_every_element_runs_again(client, tmp_path):
    log = tmp_path / "calls.txt"
    logged_fan.launch(values=[5, 6], log=str(log)).wait(timeout=120)
    log.unlink()
    again = logged_fan.launch(values=[5, 6], log=str(log), cache=False)
    assert again.result(timeout=120).squares == [25, 36]
    assert _ran(log) == [5, 6]
