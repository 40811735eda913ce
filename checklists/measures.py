"""The dashboard's measures of a signed-out case (``Measure``), each a whole number computed by
the database: the one definition that ``checklists.summary`` counts into ``SpreadCount`` and
that the dashboard reads from the cases of a period's partial months.

Whole minutes are the time rounded down to the whole second, then to the nearest minute, halves
up: ``floor((seconds + 30) / 60)``, exact on both databases, so a count and a recount can never
disagree by a rounding.
"""

from typing import Any

from django.db.models import Expression, F, Func, IntegerField, Q

from checklists.choices import Measure

SqlWithParams = tuple[str, list[Any] | tuple[Any, ...]]


class WholeMinutesBetween(Func):
    """Whole minutes from ``start`` to ``end`` (NULL if either is missing; negative if ``end``
    came first). SQLite keeps datetimes as text and times them to the millisecond
    (``julianday``); PostgreSQL's interval is exact."""

    output_field = IntegerField()

    def __init__(self, start: Any, end: Any) -> None:
        super().__init__(end, start)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> SqlWithParams:
        seconds = "FLOOR(ROUND((julianday(%(expressions)s)) * 86400.0, 3))"
        template = f"CAST(FLOOR(({seconds} + 30) / 60.0) AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, arg_joiner=") - julianday(")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> SqlWithParams:
        # date_part's double precision, not EXTRACT's exact numeric: the same whole numbers for
        # any interval under some thirty years (a fraction of a second, at least a microsecond,
        # stays above the rounding; a whole one is exact), at a third of the cost, paid for
        # every case of a dashboard period's partial months.
        seconds = "FLOOR(date_part('epoch', %(expressions)s))"
        template = f"CAST(FLOOR(({seconds} + 30) / 60) AS integer)"
        return self.as_sql(compiler, connection, template=template, arg_joiner=" - ")


def measurable(measure: str) -> Q:
    """The cases ``measured(measure)`` gives a value for, asked of its columns: the measure's
    own expression in a WHERE clause would be computed a second time for every case."""
    if measure == Measure.TIME_OUT_TO_INCISION:
        return Q(time_out_at__isnull=False, incision_at__isnull=False)
    if measure == Measure.DURATION:
        return Q(started_at__isnull=False, completed_at__isnull=False)
    if measure == Measure.TIME_OUT:
        return Q(quality__time_out_seconds__isnull=False)
    raise ValueError(f"No such measure: {measure!r}")


def measured(measure: str) -> Expression | F:
    """The expression of ``measure`` on a ``Case`` query (the Time Out's from its stored
    ``CaseQuality``)."""
    if measure == Measure.TIME_OUT_TO_INCISION:
        return WholeMinutesBetween(F("time_out_at"), F("incision_at"))
    if measure == Measure.DURATION:
        return WholeMinutesBetween(F("started_at"), F("completed_at"))
    if measure == Measure.TIME_OUT:
        return F("quality__time_out_seconds")
    raise ValueError(f"No such measure: {measure!r}")
