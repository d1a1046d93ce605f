"""`screener events` end to end on demo prices (no network), with exact error messages."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from screener.cli import cli

UNKNOWN = (
    "Error: unknown event id 'nope'; the ids are in universes/events.yaml "
    "(`screener events` lists every event)\n"
)


def invoke(args: list[str], home: Path, **kw: Any) -> Result:
    return CliRunner().invoke(cli, args, env={"SCREENER_HOME": str(home)}, **kw)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Any]]]:
    """`screener events --demo --json` once: generates the demo store and studies every event."""
    import curl_cffi

    home = tmp_path_factory.mktemp("events-demo") / "home"

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the events demo tried to use the network")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", no_network)
        mp.setattr(curl_cffi.Curl, "perform", no_network)
        result = invoke(["events", "--demo", "--json"], home, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    yield home, json.loads(result.stdout)


def test_demo_json_is_labelled_synthetic_and_names_the_scores_date(
    demo: tuple[Path, dict[str, Any]],
) -> None:
    _, doc = demo
    assert doc["synthetic"] is True
    assert doc["benchmarks"] == ["SPY", "REMX"]
    assert doc["windows"] == [[0, 1], [0, 5], [-1, 10]]
    assert "scores of the run date" in doc["scores_note"]
    # 48 events: the two scheduled expiries are skipped, not hidden.
    assert len(doc["events"]) == 46
    assert [s[0] for s in doc["skipped"]] == [
        "expiry-mofcom-70-suspension",
        "expiry-mofcom-72-suspension",
    ]
    ev = next(e for e in doc["events"] if e["id"] == "white-house-general-licences")
    # A Saturday announcement and Monday's share the event day: marked, not hidden.
    assert "vulcan-elements-partnership" in ev["overlaps"]
    spy = ev["results"][0]
    assert spy["benchmark"] == "SPY"
    assert [w["window"] for w in spy["windows"]] == [[0, 1], [0, 5], [-1, 10]]
    assert [g["group"] for g in spy["windows"][0]["terciles"]] == ["high", "mid", "low"]
    assert sum(e["approximate"] for e in doc["events"]) == 9


def test_demo_text_reports_approximate_events_apart_and_says_synthetic(
    demo: tuple[Path, dict[str, Any]],
) -> None:
    home, _ = demo
    result = invoke(["events", "--demo", "--offline"], home, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Exposure terciles use the scores of the run date" in out
    assert "Approximate dates (reported apart; the event day may be off):" in out
    head, approx = out.split("Approximate dates")
    assert "mofcom-18-2025" in head and "us-china-geneva-truce" in approx
    assert "these tests have little power" in out
    assert "synthetic by construction" in out and "Real prices are needed" in out


def test_one_event_and_a_window_with_a_leading_minus(demo: tuple[Path, dict[str, Any]]) -> None:
    home, _ = demo
    result = invoke(
        [
            "events",
            "--demo",
            "--offline",
            "--event",
            "mofcom-18-2025",
            "--window",
            "-1,+5",
            "--json",
        ],
        home,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [e["id"] for e in doc["events"]] == ["mofcom-18-2025"]
    assert doc["headline"] == [-1, 5]
    assert [-1, 5] in doc["windows"]
    text = invoke(
        ["events", "--demo", "--offline", "--event", "mofcom-18-2025", "--window", "-1,+5"], home
    ).output
    assert "CAR over [-1,+5] trading days" in text
    takeaways = text.split("Takeaways:")[1]
    assert "- On the one exact-dated tightening event, high-exposure names" in takeaways
    assert "easing" not in takeaways  # one event asked: nothing said of the other direction


def test_unknown_event_id_exits_2(tmp_path: Path) -> None:
    result = invoke(["events", "--demo", "--event", "nope"], tmp_path)
    assert (result.exit_code, result.output) == (2, UNKNOWN)


@pytest.mark.parametrize(
    ("window", "message"),
    [
        ("-1;5", "Error: --window: '-1;5' is not START,END in trading days (e.g. -1,+5)\n"),
        ("one,two", "Error: --window: 'one,two' is not START,END in trading days (e.g. -1,+5)\n"),
        (
            "5,1",
            "Error: --window: +5,+1 needs START <= END, START >= -29 (the estimation window "
            "ends at -30) and END <= +20\n",
        ),
        (
            "-40,1",
            "Error: --window: -40,+1 needs START <= END, START >= -29 (the estimation window "
            "ends at -30) and END <= +20\n",
        ),
    ],
)
def test_malformed_window_exits_2(tmp_path: Path, window: str, message: str) -> None:
    result = invoke(["events", "--demo", "--window", window], tmp_path)
    assert (result.exit_code, result.output) == (2, message)
