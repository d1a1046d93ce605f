"""The README is the front door: its tables and commands must stay true."""

from __future__ import annotations

import re
from pathlib import Path

from screener import settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def block(name: str) -> str:
    m = re.search(rf"<!-- {name} -->\n(.*?)<!-- /{name} -->", README, re.S)
    assert m, f"README.md has no <!-- {name} --> block"
    return m.group(1).strip()


def test_every_setting_is_documented_in_the_readme() -> None:
    assert block("settings-table") == settings.markdown_table(), (
        "README settings table is out of date: paste the output of "
        "python -c 'from screener import settings; print(settings.markdown_table())'"
    )


def test_readme_commands_are_the_ones_ci_runs() -> None:
    test_cmd = block("test-command").strip("`\n ")
    demo_cmd = block("demo-command").strip("`\n ")
    assert "pytest" in test_cmd and "pip install" in test_cmd
    assert demo_cmd.endswith("screener run --demo")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "test-command" in ci  # CI extracts and runs the README's own command


def test_docs_linked_from_readme_exist() -> None:
    for target in re.findall(r"\]\(((?:docs|universes|screener)/[^)#]+)\)", README):
        assert (ROOT / target).exists(), target


def test_the_reliability_table_counts_the_network_corpus() -> None:
    cases = sorted((ROOT / "tests" / "corpus" / "network").glob("*.yaml"))
    [row] = [line for line in block("reliability-table").splitlines() if "network faults" in line]
    assert row.split("|")[2].strip() == str(len(cases))
