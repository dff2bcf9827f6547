"""An operator's version: its own code and the project code it references, not its module."""

from __future__ import annotations

import importlib
import shutil
import sys
import textwrap

import pytest

import flowlab

MODULE = """
import os

import numpy

import flowlab
from flowlab import Output, types

OFFSET = {offset}


def shift(x):
    return x + OFFSET


class Scaler:
    def apply(self, x):
        return x * {scale}


@flowlab.operator(returns=types.Schema(value=types.INTEGER))
def first(x: int):
    return {{"value": shift(x)}}


@flowlab.operator(returns=types.Schema(value=types.INTEGER))
def second(x: int):
    {second_body}


@flowlab.operator(returns=types.Schema(value=types.INTEGER))
def third(x: int):
    return {{"value": int(numpy.int64(Scaler().apply(x)))}}


@flowlab.workflow(returns=types.Schema(a=types.INTEGER, b=types.INTEGER, c=types.INTEGER))
def {workflow}(x: int = 1):
    a = first(x=x)
    return Output(a=a.value, b=second(x=a.value).value, c=third(x=x).value)
"""

BROKEN = 'raise RuntimeError("not written yet")'
FIXED = 'return {"value": x * 100}'


def _write(folder, name: str, *, offset=1, scale=2, second=BROKEN, workflow="three"):
    """Write the module, forget any imported copy (here and on the workers), import it."""
    path = folder / f"{name}.py"
    path.write_text(
        textwrap.dedent(
            MODULE.format(offset=offset, scale=scale, second_body=second, workflow=workflow)
        )
    )
    shutil.rmtree(folder / "__pycache__", ignore_errors=True)
    sys.modules.pop(name, None)
    importlib.invalidate_caches()
    return importlib.import_module(name)


@pytest.fixture
def module_dir(tmp_path):
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))


def test_editing_one_operator_keeps_the_versions_of_its_neighbours(module_dir):
    before = _write(module_dir, "vers_neighbours", workflow="neighbours")
    versions = {op: getattr(before, op).version for op in ("first", "second", "third")}
    after = _write(module_dir, "vers_neighbours", second=FIXED, workflow="neighbours")
    assert after.second.version != versions["second"]
    assert after.first.version == versions["first"]
    assert after.third.version == versions["third"]


def test_a_referenced_helper_class_or_constant_changes_the_version(module_dir):
    base = _write(module_dir, "vers_refs", workflow="refs")
    first, third = base.first.version, base.third.version
    offset = _write(module_dir, "vers_refs", offset=2, workflow="refs")
    assert offset.first.version != first  # OFFSET, read by shift(), read by first()
    assert offset.third.version == third
    scale = _write(module_dir, "vers_refs", scale=3, workflow="refs")
    assert scale.third.version != third  # Scaler.apply
    assert scale.first.version == first


def test_installed_packages_are_not_part_of_the_version():
    import numpy

    from flowlab.core.definition.versioning import _in_project

    assert not _in_project(numpy) and not _in_project(importlib)
    assert _in_project(sys.modules[__name__])


def _add_path(folder: str) -> None:
    sys.path.insert(0, folder)


def _remove_path(folder: str) -> None:
    sys.path.remove(folder)


def _forget(name: str) -> None:
    """What a restarted worker would do: import the module's new code on next use."""
    sys.modules.pop(name, None)
    importlib.invalidate_caches()


def test_resume_after_fixing_one_operator_reruns_only_it(client, module_dir):
    client.run(_add_path, str(module_dir))
    try:
        broken = _write(module_dir, "vers_resume", workflow="three_resume")
        run = broken.three_resume.launch(x=5)
        with pytest.raises(flowlab.RunFailed, match="second"):
            run.result(timeout=60)
        fixed = _write(module_dir, "vers_resume", second=FIXED, workflow="three_resume")
        client.run(_forget, "vers_resume")
        resumed = run.resume()
        out = resumed.result(timeout=60)
        assert (out.a, out.b, out.c) == (6, 600, 10)
        states = {name: op.state for name, op in resumed.operators.items()}
        assert states == {"first": "cached", "second": "succeeded", "third": "cached"}
        assert fixed.second.version != broken.second.version
    finally:
        client.run(_remove_path, str(module_dir))
