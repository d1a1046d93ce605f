"""The CLI stays thin: it parses, calls one package function, prints (style.md, "Thin CLI")."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

import pytest

import screener
from screener.cli import _mode
from screener.sources import Mode

PACKAGE = Path(screener.__file__).parent
CLI = PACKAGE / "cli.py"


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_cli_imports_no_data_libraries_and_no_store() -> None:
    imported = _imported_modules(CLI)
    # No YAML parsing, no maths, no SQL in cli.py: those belong to the package.
    for banned in ("yaml", "pandas", "numpy", "duckdb", "screener.store"):
        assert banned not in imported, banned
    assert "SELECT " not in CLI.read_text(encoding="utf-8")


def test_core_modules_never_import_click() -> None:
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if p != CLI and any(m.split(".")[0] == "click" for m in _imported_modules(p))
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("demo", "offline", "expected"),
    [
        (False, False, "yahoo"),
        (True, False, "demo"),
        (False, True, "offline"),
        (True, True, "offline"),  # --demo then only picks the (demo) store to read
    ],
)
def test_mode_is_a_mode(demo: bool, offline: bool, expected: str) -> None:
    assert _mode(demo, offline) == expected
    assert _mode(demo, offline) in get_args(Mode)
