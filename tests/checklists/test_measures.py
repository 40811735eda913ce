"""The whole minutes the database computes (``checklists.measures``) against their definition:
the time rounded down to the whole second, then to the nearest minute, halves up. PostgreSQL
keeps microseconds; SQLite times to the millisecond, so its times are drawn in whole ones."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import DateTimeField, Value
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checklists.measures import WholeMinutesBetween
from tests.examples import examples

# The night the clocks go forward in London: a measure is the time that passed, not the wall's.
START = datetime.datetime(2026, 3, 29, 0, 30, 15, 250_000, tzinfo=datetime.UTC)
TWENTY_YEARS = 20 * 366 * 86_400 * 1_000_000  # microseconds


def in_the_database(microseconds: int) -> int | None:
    end = START + datetime.timedelta(microseconds=microseconds)
    return (
        ContentType.objects.annotate(
            minutes=WholeMinutesBetween(
                Value(START, output_field=DateTimeField()), Value(end, output_field=DateTimeField())
            )
        )
        .values_list("minutes", flat=True)
        .first()
    )


def whole_minutes(microseconds: int) -> int:
    return (microseconds // 1_000_000 + 30) // 60


def finest() -> int:
    """The smallest step of time the engine measures, in microseconds."""
    return 1 if connection.vendor == "postgresql" else 1_000


@pytest.mark.parametrize(
    "seconds, minutes",
    [
        (0, 0),
        (29.999, 0),
        (30, 1),
        (89.999, 1),
        (90, 2),
        (-0.001, 0),  # a second before is a whole second before: -1 s, the nearest minute 0
        (-30, 0),
        (-30.001, -1),
        (-90, -1),
        (-90.001, -2),
        (3 * 3600 + 29.5, 180),
    ],
)
def test_the_edges_of_a_minute(db, seconds, minutes):
    assert in_the_database(round(seconds * 1_000_000)) == minutes


@pytest.mark.postgres_only  # SQLite times to the millisecond: no microsecond to fall short by
def test_a_microsecond_short_of_the_half_minute_is_still_the_minute_before(db):
    assert in_the_database(29_999_999) == 0
    assert in_the_database(-30_000_001) == -1


def test_no_time_is_no_measure(db):
    missing = ContentType.objects.annotate(
        minutes=WholeMinutesBetween(
            Value(START, output_field=DateTimeField()), Value(None, output_field=DateTimeField())
        )
    )
    assert missing.values_list("minutes", flat=True).first() is None


# It only reads: the database the fixture opens is the same for every example.
@settings(
    max_examples=examples(200),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=st.integers(min_value=-TWENTY_YEARS, max_value=TWENTY_YEARS))
def test_any_time_within_twenty_years_either_way_is_measured_exactly(db, steps):
    microseconds = steps - steps % finest()
    assert in_the_database(microseconds) == whole_minutes(microseconds)
