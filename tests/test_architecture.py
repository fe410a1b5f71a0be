"""The import graph of ``reindus`` runs one way: each layer imports only the layers below it.

The layers, bottom to top, in the order data flows (see ``docs/architecture.md``)::

    config, errors -> ingest -> data -> geo -> indicators -> evaluation -> designs
    -> plots -> reporting -> workflow

Every ``import`` statement is checked, also those inside functions (a deferred import
is still a dependency), and the graph of modules must have no cycle.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "reindus"

#: rank of each top-level entry of src/reindus; a module may import ranks <= its own
LAYERS: dict[str, int] = {
    "__init__": 0, "errors": 0, "config": 0,
    "ingest": 1, "data": 2, "geo": 3, "indicators": 4, "evaluation": 5, "designs": 6,
    "plots": 7, "reporting": 8, "workflow": 9,
}
#: estimation modules: they compute, they never draw
NO_MATPLOTLIB = ("ingest", "data", "geo", "indicators", "evaluation", "designs")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every ``reindus`` module that ``path`` imports (``from reindus import x`` -> ``reindus.x``)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "reindus")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            if base.split(".")[0] != "reindus":
                continue
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if _exists(candidate) else base)
    return found


def _exists(module: str) -> bool:
    rel = Path(*module.split(".")[1:])
    return (SRC / rel).with_suffix(".py").exists() or (SRC / rel / "__init__.py").exists()


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


MODULES = {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def test_every_top_level_entry_has_a_layer():
    entries = {p.stem if p.suffix == ".py" else p.name for p in SRC.iterdir()
               if p.suffix == ".py" or (p / "__init__.py").exists()}
    assert entries == set(LAYERS), f"unranked or missing entries: {entries ^ set(LAYERS)}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_upward_import(module: str):
    own = LAYERS[_layer(module)]
    upward = sorted(m for m in _imports(MODULES[module]) if LAYERS[_layer(m)] > own)
    assert not upward, f"{module} (layer {_layer(module)}) imports a higher layer: {upward}"


def test_no_import_cycle():
    graph = {m: {i for i in _imports(p) if i in MODULES and i != m} for m, p in MODULES.items()}
    # a package's __init__ is imported with any of its modules: importing it is not a cycle edge
    # from its own submodules unless the __init__ imports them back, which the search finds.
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for nxt in sorted(graph[m]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _layer(m) in NO_MATPLOTLIB))
def test_estimation_never_imports_matplotlib(module: str):
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {n for n in names if n.split(".")[0] == "matplotlib"}, f"{module} imports matplotlib"


def test_no_module_over_the_size_limit():
    """No module over 500 lines (issue 14): a longer one is split by concern."""
    long = {m: n for m, p in MODULES.items()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500}
    assert not long, f"modules over 500 lines: {long}"


def _private_imports(path: Path) -> list[tuple[str, str]]:
    """``(module, name)`` for every ``from reindus.x import _name`` in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("reindus"):
            found += [(node.module, a.name) for a in node.names
                      if a.name.startswith("_") and not a.name.startswith("__")]
    return found


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_helper_borrowed_across_packages(module: str):
    """Modules do not reach into each other's private helpers (issue 14): a ``_name`` is
    imported only from a ``_module`` that exists to be shared within its package
    (``evaluation._core``, ``indicators._common``, ``evaluation.sensitivity._arp``...)."""
    borrowed = [f"{src}.{name}" for src, name in _private_imports(MODULES[module])
                if not src.rsplit(".", 1)[-1].startswith("_")
                and not _exists(f"{src}.{name}")]  # a shared ``_module`` itself may be imported
    assert not borrowed, f"{module} imports private names of another module: {borrowed}"
