"""universes/events.yaml: ids, directions and announcement times, validated with exact messages."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from fixtures.problems import unplaced

from screener.errors import UniverseError
from screener.universe.load import load_events

TODAY = date(2026, 11, 30)
SHIPPED = Path(__file__).parent.parent / "universes" / "events.yaml"


def event(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "some-event",
        "date": "2025-04-04",
        "date_precision": "exact",
        "direction": "tightening",
        "title": "Some event",
        "kind": "china_controls",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def problems(tmp_path: Path, *events: dict[str, Any], raw: str | None = None) -> list[str]:
    path = tmp_path / "events.yaml"
    path.write_text(raw if raw is not None else yaml.safe_dump({"events": list(events)}))
    with pytest.raises(UniverseError) as info:
        load_events(path, TODAY)
    assert info.value.exit_code == 2
    return unplaced(info.value.problems)


def test_shipped_events_have_unique_ids_and_a_direction() -> None:
    events = load_events(SHIPPED, TODAY)
    assert len(events) == 48
    assert len({e.id for e in events}) == 48
    assert {e.direction for e in events} == {"tightening", "easing", "neutral"}
    by_id = {e.id: e for e in events}
    assert by_id["mofcom-18-2025"].direction == "tightening"
    assert by_id["mofcom-70-suspension"].direction == "easing"
    # A US support programme for non-China supply is neutral (the rule in the file's header).
    assert by_id["dod-mp-partnership"].direction == "neutral"
    # No time is sourced in the facts file, so none is given.
    assert all(e.time is None and e.tz is None for e in events)


def test_a_valid_time_and_zone_are_read(tmp_path: Path) -> None:
    path = tmp_path / "events.yaml"
    path.write_text(yaml.safe_dump({"events": [event(time="16:30", tz="America/New_York")]}))
    (e,) = load_events(path, TODAY)
    assert (e.id, e.direction, e.time, e.tz) == (
        "some-event",
        "tightening",
        "16:30",
        "America/New_York",
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"id": None}, "events.yaml: events[0] field 'id': is missing"),
        (
            {"id": "Bad Id"},
            "events.yaml: events[0] field 'id': 'Bad Id' is not a slug (lowercase letters, digits and single hyphens)",
        ),
        (
            {"direction": None},
            "events.yaml: events[0] field 'direction': is missing (allowed: tightening, easing, neutral)",
        ),
        (
            {"direction": "up"},
            "events.yaml: events[0] field 'direction': 'up' is not allowed (allowed: tightening, easing, neutral)",
        ),
        (
            {"time": "25:00", "tz": "Asia/Shanghai"},
            "events.yaml: events[0] field 'time': '25:00' is not a time (HH:MM, 24-hour, e.g. \"14:30\")",
        ),
        (
            {"time": "09:00", "tz": "Mars/Olympus"},
            "events.yaml: events[0] field 'tz': 'Mars/Olympus' is not an IANA time zone (e.g. Asia/Shanghai)",
        ),
        (
            {"time": "09:00"},
            "events.yaml: events[0] field 'tz': is missing: a time needs its IANA time zone (e.g. Asia/Shanghai)",
        ),
        (
            {"tz": "Asia/Shanghai"},
            "events.yaml: events[0] field 'time': is missing: tz is given without a time (HH:MM)",
        ),
        (
            {"hour": "09:00"},
            "events.yaml: events[0]: unknown field 'hour' (allowed: companies, date, date_precision, detail, direction, id, kind, major, note, scheduled, sources, time, title, tz)",
        ),
    ],
)
def test_bad_event_fields_are_named(
    tmp_path: Path, overrides: dict[str, Any], message: str
) -> None:
    assert problems(tmp_path, event(**overrides)) == [message]


def test_an_unquoted_time_is_a_yaml_number(tmp_path: Path) -> None:
    raw = (
        "events:\n  - {id: a, date: 2025-04-04, direction: easing, title: A, time: 14:30, "
        "tz: Asia/Shanghai}\n"
    )
    assert problems(tmp_path, raw=raw) == [
        "events.yaml: events[0] field 'time': 870 is a YAML base-60 number: quote times, e.g. \"14:30\""
    ]


def test_a_duplicate_id_names_both_entries(tmp_path: Path) -> None:
    assert problems(tmp_path, event(), event(date="2025-05-01")) == [
        "events.yaml: events[1] field 'id': 'some-event' is used twice (also events[0])"
    ]
