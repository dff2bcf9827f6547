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


def _scopes(tree: ast.AST) -> dict[int, str]:
    """id(node) -> the qualified name of the function or method it is in ("" at module level)."""
    scope: dict[int, str] = {}

    def visit(node: ast.AST, name: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = name
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                inner = f"{name}.{child.name}" if name else child.name
            scope[id(child)] = inner
            visit(child, inner)

    visit(tree, "")
    return scope


def _all_imports(path: Path) -> list[tuple[str, int, list[str], str]]:
    """(imported module, line, names taken from it, scope) for every import in ``path``."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(), str(path))
    scope = _scopes(tree)
    found = []
    for node in ast.walk(tree):
        where = scope.get(id(node), "")
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno, [], where) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if _is_module(submodule):
                    found.append((submodule, node.lineno, [], where))
                else:
                    found.append((source, node.lineno, [alias.name], where))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.args[0].value, node.lineno, [], where))
    return found


def _imports(path: Path) -> list[tuple[str, int, list[str], str]]:
    """(imported module, line, names, scope) for every flowlab import in ``path``."""
    return [i for i in _all_imports(path) if i[0].split(".")[0] == "flowlab"]


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "flowlab"


def _graph() -> list[tuple[str, str, str, int, list[str], str]]:
    """(importing module, imported module, file, line, names, scope) over the whole package."""
    edges = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        for imported, line, names, scope in _imports(path):
            where = str(path.relative_to(PACKAGE.parent))
            edges.append((module, imported, where, line, names, scope))
    return edges


EDGES = _graph()


def test_the_import_scan_sees_lazy_imports_inside_functions():
    # Workflow.launch imports flowlab.core.runs.launch inside the method; it is seen.
    pairs = {(a, b) for a, b, *_ in EDGES}
    assert ("flowlab.core.definition.workflow", "flowlab.core.runs.launch") in pairs
    assert ("flowlab", "flowlab.core.definition.workflow") in pairs


def test_every_module_belongs_to_a_known_layer():
    unknown = sorted({_layer(m) for m, *_ in EDGES} - set(RANKS))
    assert not unknown, f"add these to RANKS in {__file__} (and to STYLE.md): {unknown}"


def test_layers_import_downwards_only():
    wrong = []
    for module, imported, where, line, *_ in EDGES:
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
        for module, imported, where, line, names, _ in EDGES
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
        for module, imported, where, line, names, _ in EDGES
        if _layer(module) != _layer(imported)
        and any(n.startswith("_") for n in names)
        or any(part.startswith("_") and part != "__init__" for part in imported.split("."))
        and _layer(module) != _layer(imported)
    ]
    assert not bad, "private names used across layers:\n" + "\n".join(bad)


# -- inside core: a run's life, in layers ---------------------------------------------------------
CORE_RANKS = {"definition": 0, "record": 1, "worker": 2, "clusters": 3, "engine": 4, "runs": 5}
#: the only functions that may import a higher layer of core, or a module that imports theirs
#: (each launches or compiles for its caller: ``Workflow.launch`` is the front door of a run,
#: ``Run.rerun`` and ``Run.resume`` launch a variant of the run they are called on)
FACADES = {
    ("flowlab.core.definition.workflow", "Workflow.launch"),
    ("flowlab.core.definition.workflow", "Workflow.register"),
    ("flowlab.core.definition.graph", "Graph.to_delayed"),
    ("flowlab.core.runs.run", "Run.rerun"),
    ("flowlab.core.runs.run", "Run.resume"),
}


def _core_layer(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 3 and parts[1] == "core" and parts[2] in CORE_RANKS:
        return parts[2]
    return None


def _is_facade(module: str, scope: str) -> bool:
    return any(module == m and (scope == f or scope.startswith(f + ".")) for m, f in FACADES)


def _core_edges() -> list[tuple[str, str, str, int, str]]:
    return [
        (module, imported, where, line, scope)
        for module, imported, where, line, _names, scope in EDGES
        if _core_layer(module) and _core_layer(imported) and module != imported
    ]


def test_every_module_of_core_is_in_a_layer_of_core():
    loose = [
        str(path.relative_to(PACKAGE.parent))
        for path in sorted((PACKAGE / "core").rglob("*.py"))
        if path != PACKAGE / "core" / "__init__.py" and _core_layer(_module_name(path)) is None
    ]
    assert not loose, f"put these in one of {list(CORE_RANKS)}: {loose}"


def test_core_layers_import_downwards_only_but_for_the_facades():
    wrong = [
        f"{where}:{line}: {module} ({scope or 'module level'}) imports {imported}"
        for module, imported, where, line, scope in _core_edges()
        if CORE_RANKS[_core_layer(imported)] > CORE_RANKS[_core_layer(module)]
        and not _is_facade(module, scope)
    ]
    assert not wrong, "imports pointing up inside core:\n" + "\n".join(wrong)


def test_every_declared_facade_imports_inside_itself():
    # a facade that no longer imports anything of core is dropped from FACADES
    importing = {(module, scope) for module, _imported, _where, _line, scope in _core_edges()}
    assert FACADES <= importing, FACADES - importing


def test_no_import_cycle_inside_core_counting_imports_inside_functions():
    graph: dict[str, set[str]] = {}
    for module, imported, _where, _line, scope in _core_edges():
        if not _is_facade(module, scope):
            graph.setdefault(module, set()).add(imported)
    cycles, index, low, stack, on_stack = [], {}, {}, [], set()

    def strongly_connected(node: str) -> None:  # Tarjan
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                strongly_connected(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            strongly_connected(node)
    assert not cycles, "modules of core importing each other:\n" + "\n".join(map(str, cycles))


def test_the_definition_layer_never_imports_distributed():
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {name}"
        for path in sorted((PACKAGE / "core" / "definition").glob("*.py"))
        for name, line, _names, scope in _all_imports(path)
        if name.split(".")[0] == "distributed" and not _is_facade(_module_name(path), scope)
    ]
    assert not found, found


# -- private names stay in their module -----------------------------------------------------------
def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and not name.endswith("_")


def _defined_privately(tree: ast.AST) -> set[str]:
    """Private names a module defines: its functions, classes, globals and own attributes."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name)
            and node.value.id in ("self", "cls")
        ):
            names.add(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.add(node.value)  # __slots__ entries
    return {n for n in names if _private(n)}


TREES = {path: ast.parse(path.read_text(), str(path)) for path in sorted(PACKAGE.rglob("*.py"))}
PRIVATE = {path: _defined_privately(tree) for path, tree in TREES.items()}


def test_no_module_touches_another_modules_private_names():
    """``x._name`` where ``_name`` is private to another flowlab module (``from m import
    _name`` too): a name used across modules is made public, with a docstring."""
    everyone = set().union(*PRIVATE.values())
    bad = []
    for path, tree in TREES.items():
        where = path.relative_to(PACKAGE.parent)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("flowlab"):
                bad += [
                    f"{where}:{node.lineno}: from {node.module} import {a.name}"
                    for a in node.names
                    if _private(a.name)
                ]
            elif (
                isinstance(node, ast.Attribute)
                and _private(node.attr)
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
                and node.attr not in PRIVATE[path]
                and node.attr in everyone
            ):
                bad.append(f"{where}:{node.lineno}: {ast.unparse(node)[:60]}")
    assert not bad, "private names of other modules:\n" + "\n".join(bad)
