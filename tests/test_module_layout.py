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


def _imported_test_modules(path: Path, package: str) -> set[str]:
    """The test modules (``test_*``) that the file at ``path``, in ``package``, imports: absolute
    (``from tests.a.test_x import f``, ``from tests.a import test_x``, ``import tests.a.test_x``)
    or relative (``from .test_x import f``)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names |= {module} | {f"{module}.{alias.name}" for alias in node.names}
    return {name for name in names if name.split(".")[-1].startswith("test_")}


def test_the_test_import_finder_finds_them(tmp_path):
    source = tmp_path / "test_example.py"
    source.write_text(
        "from tests.a.test_x import f\nfrom tests.b import test_y, helpers\nimport tests.test_z\n"
        "from .test_w import g\nfrom . import test_v\nfrom tests.helpers.walks import route_url\n"
    )
    found = _imported_test_modules(source, "tests.c")
    assert found == {"tests.a.test_x", "tests.b.test_y", "tests.test_z", "tests.c.test_w", "tests.c.test_v"}


def test_no_test_module_imports_another():
    """Shared helpers live in helper modules (tests/helpers/, tests/builders.py, the folders'
    helpers.py) or in conftest.py fixtures: a test module is never imported by another module,
    so each one can change (or go) on its own."""
    offenders = {}
    for path in (ROOT / "tests").rglob("*.py"):
        package = ".".join(path.relative_to(ROOT).parent.parts)
        if found := _imported_test_modules(path, package):
            offenders[str(path.relative_to(ROOT))] = found
    assert offenders == {}
