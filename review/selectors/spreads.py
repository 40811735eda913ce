"""Medians and 90th percentiles of minutes between two times, on either database.

The one place with database-specific SQL: PostgreSQL computes the percentiles itself
(``percentile_cont``, ROLLUP); SQLite returns the sorted values and they are interpolated here
by the same definition, so both databases show the same numbers.
"""

import heapq
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import FloatField, Func, QuerySet

ALL_CASES = "All cases"
# What an expression's as_sql() answers: the SQL and its parameters, a list or a tuple.
SqlWithParams = tuple[str, list[Any] | tuple[Any, ...]]


class MinutesBetween(Func):
    """Minutes from ``start`` to ``end`` as a number, computed by the database (NULL if either
    is missing). SQLite keeps datetimes as text: ``julianday()`` reads them in C, where Django's
    own datetime subtraction would call back into Python for every row."""

    output_field = FloatField()

    def __init__(self, start: Any, end: Any) -> None:
        super().__init__(end, start)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> SqlWithParams:
        template = "((julianday(%(expressions)s)) * 1440.0)"
        return self.as_sql(compiler, connection, template=template, arg_joiner=") - julianday(")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> SqlWithParams:
        template = "(CAST(EXTRACT(EPOCH FROM (%(expressions)s)) AS double precision) / 60.0)"
        return self.as_sql(compiler, connection, template=template, arg_joiner=" - ")


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between the closest ranks of sorted ``values``: the same
    definition as PostgreSQL's ``percentile_cont``, so both databases show the same numbers."""
    if not values:
        return None
    position = fraction * (len(values) - 1)
    lower, upper = math.floor(position), math.ceil(position)
    return values[lower] + (values[upper] - values[lower]) * (position - lower)


@dataclass(frozen=True)
class Spread:
    """Median and 90th percentile, in minutes, of a group of cases."""

    label: str
    cases: int
    median: float | None
    p90: float | None


def spreads(
    rows: QuerySet,
    *,
    label: Callable[[tuple[Any, ...]], str],
    group: tuple[str, ...] = ("group_key",),
    overall: bool = False,
) -> list[Spread]:
    """Median and 90th percentile of ``rows``' ``value`` (minutes) per ``group``, and first
    over all rows if ``overall``: ONE query for the whole group set.

    PostgreSQL computes them with ``percentile_cont`` over ``rows`` as a subquery (raw SQL:
    the ORM cannot aggregate over per-case aggregates, nor say ROLLUP). SQLite has no
    percentile aggregate, so its one query returns the values sorted by group and value, and
    they are interpolated here exactly as ``percentile_cont`` does: one number per case read,
    never a query per case.
    """
    rows = rows.filter(value__isnull=False).order_by()
    if connections[rows.db].vendor == "postgresql":
        return _spreads_in_postgresql(rows, label=label, group=group, overall=overall)
    groups = []
    sorted_rows = rows.order_by(*group, "value").values_list(*group, "value")
    for key, members in itertools.groupby(sorted_rows, key=lambda row: row[:-1]):
        groups.append((label(key), [row[-1] for row in members]))
    spreads = [_spread(name, values) for name, values in groups]
    if overall and groups:
        everything = list(heapq.merge(*(values for _, values in groups)))
        spreads.insert(0, _spread(ALL_CASES, everything))
    return spreads


def _spread(label: str, values: list[float]) -> Spread:
    return Spread(
        label=label,
        cases=len(values),
        median=_round(percentile(values, 0.5)),
        p90=_round(percentile(values, 0.9)),
    )


def _spreads_in_postgresql(
    rows: QuerySet,
    *,
    label: Callable[[tuple[Any, ...]], str],
    group: tuple[str, ...],
    overall: bool,
) -> list[Spread]:
    inner, params = rows.query.sql_with_params()
    connection = connections[rows.db]
    columns = ", ".join(f"g.{connection.ops.quote_name(name)}" for name in group)
    grouping = f"ROLLUP (({columns}))" if overall else columns
    # Column names come from this module (annotation names), never from a request.
    sql = (
        f"SELECT {columns}, GROUPING({columns}) AS total, COUNT(*), "  # noqa: S608
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY g.value), "
        "percentile_cont(0.9) WITHIN GROUP (ORDER BY g.value) "
        f"FROM ({inner}) AS g GROUP BY {grouping} ORDER BY total DESC, {columns}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    size = len(group)
    return [
        Spread(
            label=ALL_CASES if row[size] else label(tuple(row[:size])),
            cases=row[size + 1],
            median=_round(row[size + 2]),
            p90=_round(row[size + 3]),
        )
        for row in found
        if row[size + 1]  # ROLLUP's total row comes even when there are no rows at all
    ]


def _round(minutes: float | None) -> float | None:
    return None if minutes is None else round(minutes, 1)
