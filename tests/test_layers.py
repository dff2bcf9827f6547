"""flowlab's layers import downwards only, and no two layers import each other (no cycles).

Every import of every module counts: top-level ones, those inside functions (lazy imports
are still dependencies), those under ``TYPE_CHECKING``, and ``importlib.import_module`` of
a constant name. The layers, lowest first (a layer may import only lower ones):

    errors < types < store < core < library | forms | render < notebook | dashboard | cli |
    serving | jupyter | sweeps < flowlab (the package's __init__) < demo

``store`` sits below ``core``: it keeps records and artifacts and knows nothing of Dask or of
workflows; the core's execution writes into it. ``library``, ``forms`` and ``render`` are
peers that never import each other (a renderer must not need the ML library). The
applications on top may use each other, without cycles.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import flowlab

PACKAGE = Path(flowlab.__file__).parent

RANKS = {
    "errors": 0,
    "types": 1,
    "store": 2,
    "core": 3,
    "library": 4,
    "forms": 4,
    "render": 4,
    "notebook": 5,
    "dashboard": 5,
    "cli": 5,
    "serving": 5,
    "jupyter": 5,
    "models": 5,  # flowlab/models.py: the public front of the model registry and service
    "sweeps": 5,
    "flowlab": 6,  # flowlab/__init__.py: the public API gathers every layer
    "demo": 7,  # the demo script uses the public API
    "__main__": 7,  # flowlab/__main__.py: `python -m flowlab` runs the cli
}
APPLICATIONS = 5  # layers of this rank may import one another (never in a cycle)


def _module_name(path: Path) -> str:
    parts = ["flowlab", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    relative = Path(*name.split(".")[1:]) if "." in name else Path()
    return (PACKAGE / relative).with_suffix(".py").is_file() or (
        PACKAGE / relative / "__init__.py"
    ).is_file()


def _imports(path: Path) -> list[tuple[str, int, list[str]]]:
    """(imported module, line, names taken from it) for every flowlab import in ``path``."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if _is_module(submodule):
                    found.append((submodule, node.lineno, []))
                else:
                    found.append((source, node.lineno, [alias.name]))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.args[0].value, node.lineno, []))
    return [(name, line, names) for name, line, names in found if name.split(".")[0] == "flowlab"]


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "flowlab"


def _graph() -> list[tuple[str, str, str, int, list[str]]]:
    """(importing module, imported module, file, line, names) over the whole package."""
    edges = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        for imported, line, names in _imports(path):
            edges.append((module, imported, str(path.relative_to(PACKAGE.parent)), line, names))
    return edges


EDGES = _graph()


def test_the_import_scan_sees_lazy_imports_inside_functions():
    # Workflow._launch imports flowlab.core.execute inside the method; it is seen.
    pairs = {(a, b) for a, b, *_ in EDGES}
    assert ("flowlab.core.workflow", "flowlab.core.execute") in pairs
    assert ("flowlab", "flowlab.core.workflow") in pairs


def test_every_module_belongs_to_a_known_layer():
    unknown = sorted({_layer(m) for m, *_ in EDGES} - set(RANKS))
    assert not unknown, f"add these to RANKS in {__file__} (and to STYLE.md): {unknown}"


def test_layers_import_downwards_only():
    wrong = []
    for module, imported, where, line, _ in EDGES:
        a, b = _layer(module), _layer(imported)
        if a == b or b not in RANKS or a not in RANKS:
            continue
        if RANKS[b] < RANKS[a] or RANKS[a] == RANKS[b] == APPLICATIONS:
            continue
        wrong.append(f"{where}:{line}: {a} imports {b} ({imported})")
    assert not wrong, "imports pointing up or sideways:\n" + "\n".join(wrong)


def test_no_import_cycle_between_layers():
    graph: dict[str, set[str]] = {}
    for module, imported, *_ in EDGES:
        a, b = _layer(module), _layer(imported)
        if a != b:
            graph.setdefault(a, set()).add(b)
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt == path[0]:
                cycles.append(" -> ".join([*path, nxt]))
            elif nxt not in path and nxt > path[0]:  # report each cycle once
                visit(nxt, [*path, nxt])

    for start in sorted(graph):
        visit(start, [start])
    assert not cycles, "import cycles between layers:\n" + "\n".join(cycles)


@pytest.mark.parametrize("layer", ["render"])
def test_render_imports_neither_the_library_nor_private_store_functions(layer):
    bad = [
        f"{where}:{line}: {imported} {names}"
        for module, imported, where, line, names in EDGES
        if _layer(module) == layer
        and (
            _layer(imported) == "library"
            or (_layer(imported) == "store" and any(n.startswith("_") for n in names))
        )
    ]
    assert not bad, "render reaches into:\n" + "\n".join(bad)


def test_no_layer_takes_a_private_name_from_another_layer():
    bad = [
        f"{where}:{line}: {module} takes {names} from {imported}"
        for module, imported, where, line, names in EDGES
        if _layer(module) != _layer(imported)
        and any(n.startswith("_") for n in names)
        or any(part.startswith("_") and part != "__init__" for part in imported.split("."))
        and _layer(module) != _layer(imported)
    ]
    assert not bad, "private names used across layers:\n" + "\n".join(bad)
