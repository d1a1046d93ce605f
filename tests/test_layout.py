"""The package's imports point one way, down the data flow, and form no cycle.

Stages, upstream first (docs/architecture.md)::

    universe -> sources -> store -> metrics -> screen -> report -> lookup -> pipeline -> cli

A module may import its own stage and anything upstream of it, never downstream. The
foundation (``settings``, ``errors``, ``fileio`` and the package root) imports nothing of the
package and may be imported by all. Imports inside functions and under ``TYPE_CHECKING`` count
too: a lazy import that points back up the flow is still a dependency the wrong way.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

import screener

PACKAGE = Path(screener.__file__).parent

FOUNDATION = ("settings", "errors", "fileio", "")
STAGES = (
    "universe",
    "sources",
    "store",
    "metrics",
    "screen",
    "report",
    "lookup",
    "pipeline",
    "cli",
    "__main__",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, known: Iterable[str]) -> set[str]:
    """Package modules that ``path`` imports (``from a.b import c`` is ``a.b.c`` if that is one)."""
    known = set(known)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "screener")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] != "screener":
                continue
            subs = {f"{node.module}.{a.name}" for a in node.names} & known
            found |= subs
            # ``from pkg import submodule`` depends on the submodule; a name that is not a
            # submodule is read from the module itself.
            if len(subs) < len(node.names):
                found.add(node.module)
    return {m for m in found if m in known}


def graph() -> dict[str, set[str]]:
    mods = all_modules()
    return {m: imports_of(p, mods) - {m} for m, p in mods.items()}


def stage_of(module: str) -> int:
    """-1 for the foundation, else the index of the module's stage in ``STAGES``."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else ""
    if top in FOUNDATION:
        return -1
    if top not in STAGES:
        raise AssertionError(f"{module}: not in any stage; add it to STAGES or FOUNDATION")
    return STAGES.index(top)


def upward_imports(edges: Mapping[str, set[str]]) -> list[str]:
    return sorted(
        f"{a} imports {b} ({STAGES[stage_of(b)]} is downstream of "
        f"{'the foundation' if stage_of(a) < 0 else STAGES[stage_of(a)]})"
        for a, targets in edges.items()
        for b in targets
        if stage_of(b) > stage_of(a)
    )


def cycles(edges: Mapping[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


# --- the checks themselves can fail --------------------------------------------------------


def test_checker_finds_an_upward_import_and_a_cycle() -> None:
    edges = {
        "screener.universe.model": {"screener.report.html"},
        "screener.store.a": {"screener.store.b"},
        "screener.store.b": {"screener.store.a"},
        "screener.settings": set(),
    }
    assert upward_imports(edges) == [
        "screener.universe.model imports screener.report.html (report is downstream of universe)"
    ]
    assert cycles(edges) == [["screener.store.a", "screener.store.b"]]


def test_checker_reads_lazy_and_type_checking_imports(tmp_path: Path) -> None:
    code = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from screener.store import Store\n"
        "def f():\n    from screener.report.html import render_report\n"
        "from screener.report import html\n"
        "import os\n"
    )
    path = tmp_path / "m.py"
    path.write_text(code)
    known = {"screener.store", "screener.report.html", "screener.report"}
    assert imports_of(path, known) == {"screener.store", "screener.report.html"}


def test_unknown_top_level_module_is_reported() -> None:
    with pytest.raises(AssertionError, match="not in any stage"):
        stage_of("screener.misc")


# --- the package -----------------------------------------------------------------------------


def test_every_module_belongs_to_a_stage() -> None:
    for m in all_modules():
        stage_of(m)


def test_no_import_points_back_up_the_flow() -> None:
    assert upward_imports(graph()) == []


def test_no_import_cycle() -> None:
    assert cycles(graph()) == []


def test_foundation_imports_nothing_of_the_package() -> None:
    edges = graph()
    assert {m: sorted(t) for m, t in edges.items() if stage_of(m) < 0 and t} == {}


def _third_party_importers(top: str) -> set[str]:
    out = set()
    for m, p in all_modules().items():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n.split(".")[0] == top for n in names):
                out.add(m)
    return out


def test_only_the_cli_imports_click() -> None:
    assert _third_party_importers("click") == {"screener.cli"}


def test_only_the_yahoo_source_imports_yfinance() -> None:
    assert _third_party_importers("yfinance") <= {
        "screener.sources.yahoo",
        "screener.sources.yahoo_log",
    }
    assert "screener.sources.yahoo" in _third_party_importers("yfinance")


def test_docs_architecture_lists_every_module() -> None:
    """docs/architecture.md is where a newcomer finds a number's owner: it names every module."""
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    listed = set()
    for cell in (line.split("|")[1] for line in text.splitlines() if line.startswith("| `")):
        names = [n.strip().strip("`") for n in cell.split(",")]
        folder = names[0].rpartition("/")[0]
        listed |= {n if "/" in n or not folder else f"{folder}/{n}" for n in names}
    modules = {
        str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if p.name != "__main__.py"
    }
    packages_described = {m for m in modules if m.endswith("__init__.py")} - listed
    missing = sorted(modules - listed - packages_described - {"__init__.py"})
    assert missing == []


def test_the_basket_computes_in_screen_and_the_report_only_arranges_it() -> None:
    """The basket's numbers are made in ``screen`` (never importing the report); its report
    views read only the document (its types, and ``screen.summary``'s reading of it) and
    import no numerical library."""
    edges = graph()
    for m in ("screener.screen.basket", "screener.screen.basket_doc"):
        assert not {t for t in edges[m] if stage_of(t) >= STAGES.index("report")}, m
    views = ("screener.report.basket_chart", "screener.report.price_chart")
    for m in views:
        screen_imports = {t for t in edges[m] if t.startswith("screener.screen")}
        assert screen_imports <= {"screener.screen.types", "screener.screen.summary"}, m
    numeric = _third_party_importers("numpy") | _third_party_importers("pandas")
    assert not numeric & set(views)
