"""The import layout: the admin site's view modules share helpers from their own modules and never
import each other, no import circle among the blueprints' modules, and the domain (``feedback``)
never imports a blueprint. Read from the source (ast), so any import order is covered."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BLUEPRINTS = ("admin_app", "kiosk_app")


def _imports(path: Path, package: str) -> set[str]:
    """The modules of ``package`` that the file imports (``package.x`` for ``from package import x``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == package}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == package:
            if node.module == package:
                found |= {f"{package}.{alias.name}" for alias in node.names}
            else:
                found.add(node.module)
    return found


def _graph(package: str) -> dict[str, set[str]]:
    modules = {f"{package}.{p.stem}": p for p in (ROOT / package).glob("*.py") if p.stem != "__init__"}
    return {name: _imports(path, package) & set(modules) for name, path in modules.items()}


def _is_view_module(name: str) -> bool:
    """A module that registers routes on a blueprint (``@<blueprint>.get(...)`` and the like)."""
    source = (ROOT / Path(*name.split("."))).with_suffix(".py").read_text(encoding="utf-8")
    return re.search(r"^@\w+\.(get|post|put|patch|delete|route)\(", source, re.M) is not None


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return [*path, node, nxt]
            if nxt not in state and (found := visit(nxt, [*path, node])):
                return found
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start, [])):
            return found
    return None


@pytest.mark.parametrize("package", BLUEPRINTS)
def test_no_import_circle(package):
    assert _cycle(_graph(package)) is None


def test_the_cycle_finder_finds_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_admin_view_modules_never_import_each_other():
    graph = _graph("admin_app")
    views = {name for name in graph if _is_view_module(name)}
    assert {"admin_app.manage", "admin_app.manage_kiosks", "admin_app.posters", "admin_app.dashboard"} <= views
    crossing = {(name, other) for name in views for other in graph[name] & views}
    assert crossing == set()


def test_the_domain_never_imports_a_blueprint():
    """Only the app factory connects them."""
    offenders = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "feedback").rglob("*.py")
        if path != ROOT / "feedback" / "app.py" and any(_imports(path, bp) for bp in BLUEPRINTS)
    }
    assert offenders == set()
