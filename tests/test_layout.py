"""The tests' own layout, which a newcomer relies on: each folder of tests mirrors a package of
the repository (tests/domain/metrics/ tests domain/metrics/), and test modules share code only
through tests/support/, never by importing one another or a conftest."""

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.pure

TESTS = Path(__file__).resolve().parent
NOT_MIRRORS = {"support", "e2e"}  # code the tests share; the deployed product as a whole
# An import from `tests` other than `tests.support` (`from tests import x` included).
BORROWING = re.compile(r"^\s*(?:from|import)\s+tests\b(?!\.support\b).*", re.MULTILINE)


def _python_files(pattern: str) -> list[Path]:
    return [p for p in TESTS.rglob(pattern) if "node_modules" not in p.parts]


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
    # At the top: the checks of the repository's shape as a whole.
    assert sorted(path.name for path in TESTS.glob("test_*.py")) == [
        "test_layering.py",
        "test_layout.py",
    ]


def test_tests_share_code_only_through_tests_support():
    borrowed = [
        f"{path.relative_to(TESTS)}: {match.group().strip()}"
        for path in _python_files("*.py")
        for match in BORROWING.finditer(path.read_text())
    ]
    assert borrowed == []
