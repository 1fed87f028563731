"""The layers of explorer/ (docs/architecture.md): imports run one way, with no cycle.

Every import is read statically with ast, those inside functions included, so an import moved
into a function to hide a cycle still counts.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "explorer"
# Lowest first: a module may import its own layer and the layers before it, never one after.
LAYERS = ("i18n", "engine", "tasks", "training", "zoo", "seq2seq", "analysis", "figures", "app")
FACADE_RANK = LAYERS.index("seq2seq") + 0.5  # explorer/__init__.py re-exports engine, training, zoo and seq2seq


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    path = ROOT / Path(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def imports_of(path: Path) -> set[str]:
    """The explorer modules `path` imports, anywhere in the file."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "explorer")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            if base.split(".")[0] != "explorer":
                continue
            for alias in node.names:  # `from explorer import zoo` imports a module, `... import trace` a name
                found.add(f"{base}.{alias.name}" if is_module(f"{base}.{alias.name}") else base)
    found.discard(name)
    return found


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def rank(module: str) -> float:
    parts = module.split(".")
    if len(parts) == 1:
        return FACADE_RANK
    if parts[1] not in LAYERS:
        raise AssertionError(f"{module} is in no layer: add its folder to LAYERS and docs/architecture.md")
    return LAYERS.index(parts[1])


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_reader_finds_imports_inside_functions(tmp_path):
    edges = graph()
    assert "explorer.engine.models" in edges["explorer.engine.trace"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle():
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_imports_run_down_the_layers():
    wrong = [f"{module} imports {target}"
             for module, targets in graph().items() for target in sorted(targets)
             if rank(target) > rank(module) and not (target.split(".")[1:2] == module.split(".")[1:2])]
    assert not wrong, "imports against the layer order:\n" + "\n".join(wrong)


def test_only_the_app_layer_imports_streamlit():
    leaks = [module_name(p) for p in PACKAGE.rglob("*.py") if "app" not in p.relative_to(PACKAGE).parts[:1]
             and any(isinstance(n, (ast.Import, ast.ImportFrom)) and "streamlit" in ast.unparse(n)
                     for n in ast.walk(ast.parse(p.read_text())))]
    assert not leaks, f"streamlit imported outside explorer/app: {leaks}"


def test_no_module_imports_another_modules_private_names():
    private = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("explorer"):
                private += [f"{module_name(path)}: {node.module}.{a.name}"
                            for a in node.names if a.name.startswith("_") and a.name != "_"]  # _: gettext's own name
    assert not private, private


@pytest.mark.parametrize("page", sorted((ROOT / "pages").glob("*.py")), ids=lambda p: p.name)
def test_pages_hold_layout_not_tensor_maths(page):
    tree = ast.parse(page.read_text())
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "torch" not in imported, f"{page.name} imports torch: its tensor work belongs in explorer/"
