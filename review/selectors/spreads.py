"""Medians and 90th percentiles of a histogram: how many cases measured each whole value.

``Histograms`` reads them for the dashboard from ``SpreadCount`` (the cases of whole months,
counted by the workflow as they closed) and from the cases of a period's partial days, grouped
the same way (``checklists.measures``): a few thousand rows for a year, whatever the number of
cases, in one query per shape. The percentiles are PostgreSQL's ``percentile_cont`` of every
case's whole value, computed here from the counts, so both databases show the same numbers.
"""

import datetime
import math
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import CharField, Count, F, Q, QuerySet, Sum, Value

from accounts.dates import local_midnight
from checklists.measures import measurable, measured
from checklists.models import Case, SpreadCount

ALL_CASES = "All cases"


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between the closest ranks of sorted ``values``: the same
    definition as PostgreSQL's ``percentile_cont``."""
    if not values:
        return None
    position = fraction * (len(values) - 1)
    lower, upper = math.floor(position), math.ceil(position)
    return values[lower] + (values[upper] - values[lower]) * (position - lower)


def percentile_of_counts(counts: Sequence[tuple[int, int]], fraction: float) -> float | None:
    """``percentile`` of the values that ``counts`` ((value, how many), by value, none
    negative) stands for, without writing them out: one pass over the distinct values."""
    total = sum(count for _, count in counts)
    if not total:
        return None
    position = fraction * (total - 1)
    lower, upper = math.floor(position), math.ceil(position)
    found: dict[int, float] = {}
    seen = 0
    for value, count in counts:
        seen += count  # ranks seen - 1 is the last rank holding ``value``
        for rank in (lower, upper):
            if rank not in found and rank < seen:
                found[rank] = value
        if upper in found:
            break
    return found[lower] + (found[upper] - found[lower]) * (position - lower)


@dataclass(frozen=True)
class Spread:
    """Median and 90th percentile of a group of cases (minutes, or seconds for the Time Out)."""

    label: str
    cases: int
    median: float | None
    p90: float | None


def spreads(
    rows: Iterable[tuple[Any, ...]],
    *,
    label: Callable[[Any], str],
    overall: bool = False,
) -> list[Spread]:
    """One spread per group of ``rows`` (group key, whole value, how many cases), in the
    order of their labels (then of their keys: two surgeons of one name); first the spread of
    all rows together if ``overall``. A group may come in several rows of the same value
    (whole months and partial ones): they add up."""
    groups: dict[Hashable, Counter[int]] = {}
    for key, value, count in rows:
        groups.setdefault(key, Counter())[value] += count
    ordered = sorted(groups, key=lambda key: (label(key), _sort_key(key)))
    result = [_spread(label(key), groups[key]) for key in ordered]
    if overall and groups:
        result.insert(0, _spread(ALL_CASES, sum(groups.values(), Counter())))
    return [spread for spread in result if spread.cases]


def _spread(label: str, histogram: Counter[int]) -> Spread:
    counts = sorted(histogram.items())
    return Spread(
        label=label,
        cases=sum(histogram.values()),
        median=_round(percentile_of_counts(counts, 0.5)),
        p90=_round(percentile_of_counts(counts, 0.9)),
    )


def _sort_key(key: Hashable) -> tuple[Any, ...]:
    return key if isinstance(key, tuple) else (key,)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# A row of ``Histograms.rows``: the measure, the group's columns, a whole value, its cases.
HistogramRow = tuple[Any, ...]


class Histograms:
    """How many of the period's cases measured each whole value, by group: the kept
    ``SpreadCount`` rows of the period's whole months, and the cases of the rest of its days
    (grouped by the same definitions, ``checklists.measures``), read by the schedule's index
    as one or two ranges of days."""

    def __init__(
        self,
        cases: QuerySet[Case],
        kept: QuerySet[SpreadCount],
        *,
        date_from: datetime.date,
        date_to: datetime.date,
    ) -> None:
        first = date_from if date_from.day == 1 else _next_month(date_from)
        after = _next_month(date_to) if _next_day(date_to).day == 1 else date_to.replace(day=1)
        self.kept: QuerySet[SpreadCount] | None = None
        end = _next_day(date_to)
        edges = [(date_from, end)]  # days, each range from its first to the day after
        if first < after:  # whole months from ``first`` to the month before ``after``
            self.kept = kept.filter(month__gte=first, month__lt=after)
            edges = [(date_from, first), (after, end)]
        days = Q(pk__in=[])  # no case, when the whole months are the whole period
        for start, stop in edges:
            if start < stop:
                days |= Q(
                    scheduled_start__gte=local_midnight(start),
                    scheduled_start__lt=local_midnight(stop),
                )
        self.edges = cases.filter(days)

    def rows(
        self, measures: tuple[str, ...], *group: tuple[Any, Any], labels: Sequence[Any] = ()
    ) -> list[HistogramRow]:
        """One query: (measure, *group columns, *labels, value, cases) rows. ``group`` gives
        each column as an expression on ``SpreadCount`` and on ``Case``; ``labels`` are read
        for each group once it is counted (a subquery on a group column, the same on both:
        a name by its id), so the rows are grouped and sorted by numbers, not names."""
        names = [f"group_{index}" for index in range(len(group))]
        named = {f"label_{index}": label for index, label in enumerate(labels)}
        grouped = ("of", *names, "whole")
        parts = []
        for measure in measures:
            parts.append(
                self.edges.annotate(
                    of=Value(measure, output_field=CharField()),
                    **{name: case for name, (_, case) in zip(names, group, strict=True)},
                    whole=measured(measure),
                )
                .filter(measurable(measure))
                .order_by()
                .values(*grouped)
                .annotate(cases=Count("pk"))
                .annotate(**named)  # after the count, apart: not grouped by
            )
        if self.kept is not None:
            parts.append(
                self.kept.filter(measure__in=measures)
                .annotate(
                    of=F("measure"),
                    **{name: kept for name, (kept, _) in zip(names, group, strict=True)},
                    whole=F("value"),
                )
                .order_by()
                .values(*grouped)
                .annotate(cases=Sum("cases"))
                .annotate(**named)
            )
        union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        columns = ("of", *names, *named, "whole", "cases")
        return [tuple(row[name] for name in columns) for row in union]


def of_measure(rows: list[HistogramRow], measure: str) -> list[tuple[Any, int, int]]:
    """The (group key, value, cases) rows of one measure; a key of several columns as a
    tuple."""
    return [
        (row[1] if len(row) == 4 else tuple(row[1:-2]), row[-2], row[-1])
        for row in rows
        if row[0] == measure
    ]


def _next_day(day: datetime.date) -> datetime.date:
    return day + datetime.timedelta(days=1)


def _next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
