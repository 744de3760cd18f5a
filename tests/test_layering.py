"""The direction of dependencies, read from the code's own imports: the composition root
(`journeyops/`) wires the doors together and nothing imports it; the doors share what lies
below them (`infrastructure/`, `domain/`); the domain knows no door."""

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.pure

ROOT = Path(__file__).resolve().parent.parent
DOORS = {"bot", "graphql_api", "ingest_api", "web"}
# What each package may import, besides itself and third-party libraries.
ALLOWED = {
    "domain": set(),
    "infrastructure": {"domain"},
    **{door: {"infrastructure", "domain"} for door in DOORS},
}
OURS = {*ALLOWED, "journeyops"}


def _imports(path: Path) -> set[str]:
    """Our top-level packages that a module imports, wherever in it the import stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & OURS


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_what_lies_below_it(package):
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported - ALLOWED[package] - {package})
        for path in sorted((ROOT / package).rglob("*.py"))
        if (imported := _imports(path)) - ALLOWED[package] - {package}
    }
    assert wrong == {}


def test_the_check_sees_an_import_that_points_up(tmp_path):
    module = tmp_path / "door.py"
    module.write_text("def f():\n    from journeyops.runtime import Runtime\n")
    assert _imports(module) == {"journeyops"}
