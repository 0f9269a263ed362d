"""The house's shape: imports point one way, private names stay home, modules stay small.

A walk over every module of src/watcher with ``ast``: the import graph (lazy imports inside
functions included, TYPE_CHECKING blocks excluded) has no cycle, no module imports a
``_private`` name from another module, and no module passes 400 lines.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "watcher"
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for child in ast.walk(node))
    return skipped


def _imports(module: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, str | None]]:
    """(imported module, imported name or None) for each watcher import of ``module``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            targets: list[tuple[str, str | None]] = [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, *([node.module] if node.module else [])])
            targets = [(base, alias.name) for alias in node.names]
        else:
            continue
        for target, name in targets:
            if not target.startswith("watcher"):
                continue
            full = f"{target}.{name}" if name and f"{target}.{name}" in modules else target
            while full not in modules and "." in full:
                full = full.rsplit(".", 1)[0]
            found.append((full, name))
    return found


def _graph() -> tuple[dict[str, set[str]], list[str]]:
    modules = _modules()
    edges: dict[str, set[str]] = {m: set() for m in modules}
    private: list[str] = []
    for module, path in modules.items():
        for target, name in _imports(module, path, modules):
            if target != module and not module.startswith(target + "."):
                edges[module].add(target)
            if name and name.startswith("_") and not name.startswith("__") and target != module:
                private.append(f"{module} imports {target}.{name}")
    return edges, private


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def test_the_import_graph_has_no_cycle() -> None:
    edges, _ = _graph()
    cycles = _cycles(edges)
    assert cycles == [], "import cycles:\n" + "\n".join(" → ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_cycle() -> None:
    # The rule above is only as good as the finder: a two-module loop and a self-contained
    # chain must be told apart.
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_no_module_imports_a_private_name_of_another() -> None:
    _, private = _graph()
    assert private == [], "\n".join(private)


def test_no_module_is_over_400_lines() -> None:
    offenders = {
        str(path.relative_to(PACKAGE.parent)): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    for name, n in sorted(offenders.items(), key=lambda item: -item[1]):
        print(f"{name}: {n} lines (limit {MAX_LINES})")
    assert offenders == {}


def test_every_module_says_what_it_owns() -> None:
    missing = [
        str(path.relative_to(PACKAGE.parent))
        for path in PACKAGE.rglob("*.py")
        if path.name != "__main__.py" and ast.get_docstring(ast.parse(path.read_text("utf-8"))) is None
    ]
    assert missing == []


def test_the_command_line_imports_on_its_own() -> None:
    done = subprocess.run([sys.executable, "-c", "import watcher.cli"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
