"""bench/theatres.py's verdict on a level and its report: poll and push side by side, a push
level held only with every stream connected at its end."""

import pytest

from bench.load.engines import Engine
from bench.theatres import Level, report

pytestmark = pytest.mark.no_database

POSTGRESQL = Engine("postgresql", "PostgreSQL", "postgresql://unused")


def _poll(theatres: int, **changes) -> Level:
    level = Level(mode="poll", theatres=theatres, seconds=30, requests=100, db_connections=8)
    level.p95 = {"tablet poll": 40.0, "wall poll": 30.0, "tick": 60.0, "page": 200.0}
    level.seen_on_wall = (1100.0, 2050.0)
    level.__dict__.update(changes)
    return level


def _push(theatres: int, **changes) -> Level:
    level = Level(mode="push", theatres=theatres, seconds=30, requests=50, db_connections=10)
    level.p95 = {"tablet fetch": 20.0, "wall fetch": 25.0, "tick": 60.0, "page": 200.0}
    level.seen_on_wall = (45.0, 90.0)
    level.streams = level.open_streams = 2 * theatres
    level.push_cores, level.push_rss_kib, level.push_threads = 0.12, 81920, 3
    level.__dict__.update(changes)
    return level


def test_a_push_level_is_held_with_its_goals_met_and_every_stream_open():
    assert _push(100).held
    assert not _push(100, open_streams=199).held
    assert not _push(100, p95={"tablet fetch": 20.0, "wall fetch": 101.0}).held
    assert not _push(100, failures={"wall stream: HTTP 403": 1}).held


def test_a_poll_level_is_held_without_streams():
    assert _poll(100).held
    assert not _poll(100, p95={"tablet poll": 120.0}).held


def _rows(text: str, first_cell: str) -> list[list[str]]:
    rows = [line.strip("|").split("|") for line in text.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row] for row in rows if row[0].strip() == first_cell]


def test_the_report_shows_each_mode_and_what_push_holds():
    outcome = {
        "engine": POSTGRESQL,
        "bare": 500.0,
        "bare_range": (510.0, 490.0),
        "modes": [
            {"mode": "poll", "levels": [_poll(25), _poll(50)], "held": 50, "errors": 2},
            {
                "mode": "push",
                "levels": [
                    _push(50, connect_seconds=0.5),
                    _push(100, open_streams=199, connect_seconds=4.3, reconnects=3),
                ],
                "held": 50,
                "errors": 0,
            },
        ],
    }

    text = report([outcome], ["0.50", "1.20"], "abc1234", 0.0)

    summary_poll, summary_push = _rows(text, "PostgreSQL")[:2]
    assert _rows(text, "Engine")[0][:3] == ["Engine", "Mode", "Theatres held"]
    assert summary_poll == ["PostgreSQL", "poll", "50", "500 (510, 490)", "100", "2"]
    assert summary_push[1:3] == ["push", "50"]
    columns = _rows(text, "Engine")[1]
    levels = [dict(zip(columns, row, strict=True)) for row in _rows(text, "PostgreSQL")[2:]]
    assert [(row["Mode"], row["Theatres"], row["Held"]) for row in levels] == [
        ("poll", "25", "✓"),
        ("poll", "50", "✓"),
        ("push", "50", "✓"),
        ("push", "100", "✗"),
    ]
    assert levels[0]["Tick seen on wall ms"] == "1,100 / 2,050"
    assert levels[0]["Streams open"] == levels[0]["Push RSS MiB"] == "—"
    assert levels[0]["p95 tablet ms"] == "40" and levels[2]["p95 tablet ms"] == "20"
    assert levels[2]["Streams open"] == "100 of 100, all connected in 0.5 s"
    assert levels[3]["Streams open"] == "199 of 200, all connected in 4.3 s, 3 reconnections"
    assert levels[3]["Push RSS MiB"] == "80" and levels[3]["Push threads"] == "3"
    assert levels[3]["Push cores"] == "0.12" and levels[3]["DB connections"] == "10"
