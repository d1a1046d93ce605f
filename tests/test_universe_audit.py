"""``universe audit`` (what to re-check first) and ``universe diff`` (what changed)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from screener.universe.audit import audit
from screener.universe.diff import diff
from screener.universe.scored import load_scored

FIXTURE = Path(__file__).parent / "fixtures" / "audit_universe.yaml"
TODAY = date(2026, 6, 1)


def test_audit_orders_by_how_far_a_wrong_fact_could_move_the_rank() -> None:
    rows = audit(load_scored(FIXTURE, today=TODAY))
    by_id = {r.company_id: r for r in rows}
    known = by_id["known-producer"]
    assert known.low == known.score == known.high and known.secondary_only == ()
    unknown = by_id["unknown-plant"]
    assert unknown.missing_feed == ("magnet at US",)
    assert unknown.missing_capacity == ("magnet at US",)
    assert unknown.low < unknown.score < unknown.high
    blog = by_id["blog-backed"]
    assert blog.secondary_only == ("separation at AU",)
    # Without the blog-backed separation plant it drops below the unknown plant's score.
    assert blog.secondary_rank_shift >= 1
    assert rows[0].priority == max(r.priority for r in rows)
    assert [r.priority for r in rows] == sorted((r.priority for r in rows), reverse=True)
    assert by_id["small-explorer"].age_days == (TODAY - date(2026, 1, 1)).days


def test_audit_rank_span_uses_the_others_opposite_ends() -> None:
    rows = {r.company_id: r for r in audit(load_scored(FIXTURE, today=TODAY))}
    unknown = rows["unknown-plant"]
    assert unknown.best_rank <= unknown.rank <= unknown.worst_rank
    assert any("could be anywhere from" in x for x in unknown.reasons())


def _write(path: Path, companies: list[dict[str, object]]) -> Path:
    path.write_text(yaml.safe_dump({"companies": companies}, sort_keys=False), encoding="utf-8")
    return path


def test_diff_names_each_change_in_words(tmp_path: Path) -> None:
    old = _write(
        tmp_path / "old.yaml",
        [
            {
                "id": "lynas",
                "name": "Lynas",
                "tickers": ["LYC.AX"],
                "segments": [
                    {
                        "stage": "separation",
                        "country": "MY",
                        "site": "Kuantan",
                        "status": "producing",
                    },
                    {
                        "stage": "separation",
                        "country": "US",
                        "site": "Seadrift",
                        "status": "development",
                    },
                ],
                "support": [{"kind": "government_loan", "counterparty": "JARE"}],
            },
            {"id": "gone", "name": "Gone Ltd", "segments": []},
        ],
    )
    new = _write(
        tmp_path / "new.yaml",
        [
            {
                "id": "lynas",
                "name": "Lynas",
                "tickers": ["LYC.AX"],
                "segments": [
                    {
                        "stage": "separation",
                        "country": "MY",
                        "site": "Kuantan",
                        "status": "producing",
                        "capacity_tpa": 10500,
                    },
                    {
                        "stage": "separation",
                        "country": "US",
                        "site": "Seadrift",
                        "status": "suspended",
                    },
                ],
                "support": [
                    {"kind": "government_equity", "counterparty": "JARE", "ree_related": True}
                ],
            },
            {"id": "new-co", "name": "New Co", "segments": []},
        ],
    )
    texts = [c.text for c in diff(old, new)]
    assert sorted(texts) == sorted(
        [
            "Lynas: separation at Kuantan: capacity_tpa unknown → 10500",
            "Lynas: separation at Seadrift: status development → suspended",
            "Lynas: government loan from JARE: removed",
            "Lynas: government equity from JARE: added",
            "New Co: added",
            "Gone Ltd: removed",
        ]
    )


def test_diff_of_a_file_with_itself_is_empty() -> None:
    assert diff(FIXTURE, FIXTURE) == []


def test_a_fully_known_company_moved_only_by_others_says_so() -> None:
    rows = {r.company_id: r for r in audit(load_scored(FIXTURE, today=TODAY))}
    blog = rows["blog-backed"]  # score 47.4 known exactly; "unknown-plant" spans 40–49
    assert blog.width == 0 and blog.rank_span > 0
    assert blog.reasons()[0] == (
        f"rank {blog.rank} could be anywhere from {blog.best_rank} to {blog.worst_rank} "
        "within the other companies' intervals"
    )
