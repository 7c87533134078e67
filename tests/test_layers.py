"""The house rules, checked on the source: layers point one way, no import cycles, small files.

Layers, bottom up: ``hw`` (specifications and gateware: Amaranth and itself only), ``sim`` and
``boards`` (on ``hw``), ``sw`` (the host library, benchmarks and CLI, on everything). Imports
inside functions count too.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ALLOWED = {"hw": {"hw"}, "sim": {"hw", "sim"}, "boards": {"hw", "boards"},
           "sw": {"hw", "sim", "boards", "sw"}}
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    modules = {}
    for layer in ALLOWED:
        for path in (REPO / layer).rglob("*.py"):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = "bitspin." + ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def _imports(name: str, path: Path) -> set[str]:
    """The bitspin modules (or packages) that ``path`` imports, anywhere in the file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1])
                module = base + ("." + node.module if node.module else "")
            else:
                module = node.module
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {module for module in found if module and module.startswith("bitspin.")}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        targets = set()
        for module in _imports(name, path):
            while module and module not in modules:
                module = module.rpartition(".")[0]
            if module and module != name:
                targets.add(module)
        graph[name] = targets
    return graph


def test_every_layer_imports_only_the_layers_below_it():
    wrong = [f"{source} imports {target}" for source, targets in _graph().items()
             for target in targets
             if target.split(".")[1] not in ALLOWED[source.split(".")[1]]]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles_between_files():
    graph = _graph()
    # A package's __init__ re-exporting its own modules is not a cycle between files.
    edges = {source: {t for t in targets if not source.startswith(t + ".")}
             for source, targets in graph.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(node, path):
        state[node] = 1
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                cycles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert not cycles, "\n".join(cycles)


def test_no_source_file_is_longer_than_about_400_lines():
    long = [f"{path.relative_to(REPO)}: {n} lines"
            for folder in (*ALLOWED, "tests")
            for path in (REPO / folder).rglob("*")
            if path.suffix in (".py", ".cpp", ".h")
            and (n := len(path.read_text().splitlines())) > MAX_LINES]
    assert not long, "\n".join(long)


def test_gateware_and_specifications_use_only_amaranth_and_the_standard_library():
    import sys
    allowed = set(sys.stdlib_module_names) | {"amaranth", "bitspin", "__future__"}
    wrong = []
    for path in (REPO / "hw").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) and not node.level else [])
            wrong += [f"{path.relative_to(REPO)} imports {name}" for name in names
                      if name.split(".")[0] not in allowed]
    assert not wrong, "\n".join(wrong)
