"""Medians and 90th percentiles of a histogram: how many cases measured each whole value.

The dashboard reads them from ``SpreadCount`` (the cases of whole months, counted by the
workflow as they closed) and from the cases of a period's partial months, grouped the same way
(``checklists.measures``): a few thousand rows for a year, whatever the number of cases. The
percentiles are PostgreSQL's ``percentile_cont`` of every case's whole value, computed here
from the counts, so both databases show the same numbers.
"""

import math
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

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
    order of the keys; first the spread of all rows together if ``overall``. A group may come
    in several rows of the same value (whole months and partial ones): they add up."""
    groups: dict[Hashable, Counter[int]] = {}
    for key, value, count in rows:
        groups.setdefault(key, Counter())[value] += count
    result = [_spread(label(key), groups[key]) for key in sorted(groups, key=_sort_key)]
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
