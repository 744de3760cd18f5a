"""The tests' own layout, which a newcomer relies on: each folder of tests mirrors a package of
the repository (tests/domain/metrics/ tests domain/metrics/), and test modules share code only
through tests/support/, never by importing one another or a conftest."""

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.pure

TESTS = Path(__file__).resolve().parent
NOT_MIRRORS = {"support", "e2e"}  # code the tests share; the deployed product as a whole


def _python_files(pattern: str) -> list[Path]:
    return [p for p in TESTS.rglob(pattern) if "node_modules" not in p.parts]


def _imported(path: Path) -> list[str]:
    """Every module `path` imports, `from tests import x` counted as `tests.x`."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module == "tests":
            names += [f"tests.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_every_folder_of_tests_mirrors_a_package_of_the_repository():
    folders = {path.parent.relative_to(TESTS) for path in _python_files("test_*.py")}
    strays = [
        str(folder)
        for folder in folders
        if folder.parts[:1] != ()
        and folder.parts[0] not in NOT_MIRRORS
        and not (TESTS.parent / folder).is_dir()
    ]
    assert strays == []
    assert [path.name for path in TESTS.glob("test_*.py")] == ["test_layout.py"]


def test_tests_share_code_only_through_tests_support():
    borrowed = [
        f"{path.relative_to(TESTS)} imports {name}"
        for path in _python_files("*.py")
        for name in _imported(path)
        if name.split(".")[0] == "tests" and name.split(".")[:2] != ["tests", "support"]
    ]
    assert borrowed == []
