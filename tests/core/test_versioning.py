"""An operator's version: its own code and the project code it references, not its module."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

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


# -- the same version in every process, whatever its hash seed ------------------------------

HASH_SEEDS = ("0", "1", "12345")
ROOT = Path(__file__).resolve().parents[2]

LIBRARY_VERSIONS = """
import importlib, json, pkgutil, warnings
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as caught:
    import flowlab.library
    from flowlab import Operator
    versions = {}
    for found in pkgutil.walk_packages(flowlab.library.__path__, "flowlab.library."):
        for value in vars(importlib.import_module(found.name)).values():
            if isinstance(value, Operator):
                versions[value.name] = value.version
print(json.dumps({"versions": versions, "warnings": [str(w.message) for w in caught
                  if issubclass(w.category, flowlab.UnversionedValueWarning)]}))
"""


def _in_processes(script: str, *path: str) -> list[dict]:
    """What ``script`` prints (JSON), run in a fresh interpreter per hash seed."""
    printed = []
    for seed in HASH_SEEDS:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        env["PYTHONPATH"] = os.pathsep.join([*path, str(ROOT), env.get("PYTHONPATH", "")])
        done = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        printed.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return printed


def test_every_library_operator_has_one_version_whatever_the_hash_seed():
    """ComputeMetricsOperator reads frozensets of metric names: its version, hashed from their
    repr, was different in every fresh interpreter."""
    printed = _in_processes(LIBRARY_VERSIONS)
    versions = [p["versions"] for p in printed]
    assert "ComputeMetricsOperator" in versions[0] and len(versions[0]) >= 10
    assert versions[0] == versions[1] == versions[2]
    assert all(p["warnings"] == [] for p in printed)


VALUES_MODULE = """
import dataclasses
import enum

import flowlab
from flowlab import types

NAMES = {{"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"}}
FROZEN = frozenset(NAMES | {{"{extra}"}})
# built by iterating a set: its insertion order (and its repr) differs between processes
LENGTHS = {{name: len(name) for name in NAMES}}


class Stage(enum.Enum):
    TRAIN = frozenset({{"fit", "tune", "score"}})
    SERVE = "serve"


@dataclasses.dataclass(frozen=True)
class Config:
    tags: frozenset
    weights: dict
    stage: Stage


CONFIG = Config(tags=frozenset(NAMES), weights=LENGTHS, stage=Stage.TRAIN)


@flowlab.operator(returns=types.Schema(n=types.INTEGER))
def reads_a_set(x: int):
    return {{"n": len(NAMES) + x}}


@flowlab.operator(returns=types.Schema(n=types.INTEGER))
def reads_a_frozenset(x: int):
    return {{"n": len(FROZEN) + x}}


@flowlab.operator(returns=types.Schema(n=types.INTEGER))
def reads_a_dict(x: int):
    return {{"n": LENGTHS["alpha"] + x}}


@flowlab.operator(returns=types.Schema(n=types.INTEGER))
def reads_an_enum(x: int):
    return {{"n": len(Stage.TRAIN.value) + x}}


@flowlab.operator(returns=types.Schema(n=types.INTEGER))
def reads_a_dataclass(x: int):
    return {{"n": len(CONFIG.tags) + x}}


class Handle:
    \"\"\"No canonical form: its repr holds its address.\"\"\"


HANDLE = Handle()


@flowlab.operator(returns=types.Schema(n=types.INTEGER))
def reads_a_handle(x: int):
    return {{"n": x if HANDLE else 0}}


@flowlab.operator(returns=types.Schema(n=types.INTEGER))
def reads_the_handle_too(x: int):
    return {{"n": x if HANDLE else 1}}
"""

NO_SOURCE = (
    "def no_source(x):\n"
    "    return x in {'alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'}\n"
)

VALUES_VERSIONS = """
import json, warnings
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as caught:
    import {module} as m
    from flowlab import UnversionedValueWarning
    from flowlab.core.definition.versioning import code_version
    names = [n for n in dir(m) if n.startswith("reads_")]
    versions = {{n: getattr(m, n).version for n in names}}
    space = {{}}
    exec({no_source!r}, space)
    versions["no_source"] = code_version(space["no_source"])
print(json.dumps({{
    "versions": versions,
    "reprs": [repr(m.NAMES), repr(m.LENGTHS)],
    "warnings": [str(w.message) for w in caught
                 if issubclass(w.category, UnversionedValueWarning)],
}}))
"""


def _values_module(folder: Path, name: str, extra: str = "lambda") -> None:
    (folder / f"{name}.py").write_text(textwrap.dedent(VALUES_MODULE.format(extra=extra)))


def test_sets_dicts_enums_and_dataclasses_give_one_version_whatever_the_hash_seed(tmp_path):
    _values_module(tmp_path, "vers_values")
    script = VALUES_VERSIONS.format(module="vers_values", no_source=NO_SOURCE)
    printed = _in_processes(script, str(tmp_path))
    # the values' reprs do differ between these processes: a version hashed from them would
    assert len({tuple(p["reprs"]) for p in printed}) > 1
    versions = [p["versions"] for p in printed]
    assert len(versions[0]) == 8
    assert versions[0] == versions[1] == versions[2]


def test_a_changed_set_member_changes_the_version(module_dir):
    _values_module(module_dir, "vers_changed", extra="lambda")
    before = importlib.import_module("vers_changed")
    versions = {n: getattr(before, n).version for n in ("reads_a_frozenset", "reads_a_set")}
    sys.modules.pop("vers_changed")
    _values_module(module_dir, "vers_changed", extra="mu")
    shutil.rmtree(module_dir / "__pycache__", ignore_errors=True)
    importlib.invalidate_caches()
    after = importlib.import_module("vers_changed")
    assert after.reads_a_frozenset.version != versions["reads_a_frozenset"]
    assert after.reads_a_set.version == versions["reads_a_set"]
    sys.modules.pop("vers_changed")


def test_an_object_with_an_address_in_its_repr_is_named_once_and_left_out(tmp_path):
    _values_module(tmp_path, "vers_handle")
    script = VALUES_VERSIONS.format(module="vers_handle", no_source=NO_SOURCE)
    printed = _in_processes(script, str(tmp_path))
    for p in printed:
        # read by two operators, named once
        assert len(p["warnings"]) == 1, p["warnings"]
        assert "'vers_handle.HANDLE'" in p["warnings"][0]
        assert "repr holds an address" in p["warnings"][0]
    # the address differs in every process; the version does not
    assert len({p["versions"]["reads_a_handle"] for p in printed}) == 1
