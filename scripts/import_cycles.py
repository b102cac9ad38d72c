#!/usr/bin/env python3
"""List import cycles between the project's own modules (beffroi/, network/, recorder/).

Walks every module's AST, so an import inside a function or under `if TYPE_CHECKING:` counts
too: a deferred import only hides a circle, it does not break it. Usage:
`python scripts/import_cycles.py [--top-level]` (exit 1 when a cycle exists).
`--top-level` keeps only imports run at import time (module body, not TYPE_CHECKING).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGES = ("beffroi", "network", "recorder")
ROOT = Path(__file__).resolve().parent.parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(tree: ast.Module, modname: str, is_pkg: bool, top_level: bool) -> set[str]:
    """Project modules imported by one module (`from a import b` counts a.b when it exists)."""
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    pkg = modname.split(".")
                    pkg = pkg if is_pkg else pkg[:-1]
                    pkg = pkg[:len(pkg) - node.level + 1]
                    base = ".".join([*pkg, base] if base else pkg)
                found.add(base)
                found.update(f"{base}.{a.name}" for a in node.names)
            elif isinstance(node, ast.If) and _is_type_checking(node):
                if not top_level:
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if not top_level:
                    visit(node.body)
            elif isinstance(node, ast.ClassDef | ast.If | ast.Try | ast.With):
                for field in ("body", "orelse", "finalbody", "handlers"):
                    for child in getattr(node, field, []):
                        visit(child.body if isinstance(child, ast.ExceptHandler) else [child])
    visit(tree.body)
    return found


def graph(top_level: bool) -> dict[str, set[str]]:
    """Module → project modules it imports."""
    files = {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    edges: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        raw = _imports(tree, name, path.name == "__init__.py", top_level)
        # A package's own __init__ importing its submodules is not a circle worth reporting.
        edges[name] = {m for m in raw if m in files and m != name
                       and not (path.name == "__init__.py" and m.startswith(name + "."))}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    sys.setrecursionlimit(10_000)

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            strong(v)
    return sorted(out)


def main(argv: list[str]) -> int:
    """Print each cycle's modules; exit 1 when there is one."""
    found = cycles(graph(top_level="--top-level" in argv))
    for comp in found:
        print(" <-> ".join(comp))
    print(f"{len(found)} import cycle(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
