"""The dashboard's counts of closed cases, kept day by day (``checklists.models.summary``).

The one writer of those rows. ``count_closed_cases`` adds the figures of cases as they close
(signed out or cancelled): cases, steps, implants, quality facts, and the histograms of the
measures (``SpreadCount``, month by month); ``count_amendment`` moves one step from its old
answer's count to its new one, ``move_time_out_to_incision`` a case's Time Out to incision
when an amendment moved the incision or the Time Out. The workflow calls them inside the transaction
of the change, after the case is saved (and its quality facts stored), so a count can never
disagree with the cases that committed. The bulk generator calls ``count_closed_cases`` for
each batch it writes, and ``rebuild`` (``manage.py rebuild_case_counts``) counts every case
again, with the same function.

Counts are added with one ``INSERT ... ON CONFLICT DO UPDATE`` per table, which SQLite and
PostgreSQL both understand: two cases closing at once on the same day and surgeon add up
rather than race to create the row.
"""

import datetime
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from django.db import connection, models, transaction
from django.db.models import (
    CharField,
    Count,
    DateField,
    DateTimeField,
    F,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from checklists import measures
from checklists.choices import CaseStatus, Measure, StepStatus
from checklists.models import (
    Case,
    CaseCount,
    CaseStep,
    Implant,
    ImplantProductCount,
    ImplantSideCount,
    QualityCount,
    SpreadCount,
    StepCount,
)
from checklists.quality import attested_well_q, full_team_q, read_aloud_q

SIGNED = (CaseStatus.COMPLETED, CaseStatus.REVIEWED)
CLOSED = (*SIGNED, CaseStatus.CANCELLED)
STATUS_COUNTS: dict[str, str] = {
    StepStatus.DONE: "done",
    StepStatus.NOT_APPLICABLE: "not_applicable",
    StepStatus.PENDING: "pending",
}
REBUILD_CHUNK = 2000
SUMMARY_MODELS: tuple[type[models.Model], ...] = (
    CaseCount,
    StepCount,
    ImplantSideCount,
    ImplantProductCount,
    QualityCount,
    SpreadCount,
)
DAY_HEAD = ("day", "procedure_id", "surgeon_id")
SPREAD_KEY = ("month", "procedure_id", "surgeon_id", "measure", "value")


def count_closed_cases(cases: QuerySet[Case], *, cancelled: bool = False) -> None:
    """Add to the day's counts the figures of ``cases`` that are closed (signed out or
    cancelled). Call once per case, as it closes: a case counted twice is counted twice.

    A cancelled case adds to ``CaseCount.cancelled`` only; a signed-out one adds its case,
    its steps as they stand, its implants, its quality facts (store them first) and its
    measures (``SpreadCount``). A grouped ``INSERT ... SELECT`` per table, whether ``cases``
    is one case or a batch of thousands. ``cancelled``: every case of ``cases`` is cancelled
    (the workflow's cancellation), so the statements about signed cases are left out.
    """
    closed = cases.filter(status__in=CLOSED).order_by()
    signed = closed.filter(status__in=SIGNED).values("pk")
    day, on_case = _day("scheduled_start"), _day("case__scheduled_start")
    of_case = {"procedure_id": F("case__procedure_id"), "surgeon_id": F("case__surgeon_id")}
    case_rows = closed.values("procedure_id", "surgeon_id", "room", day=day).annotate(
        signed_out=Count("pk", filter=Q(status__in=SIGNED)),
        cancelled=Count("pk", filter=Q(status=CaseStatus.CANCELLED)),
    )
    step_rows = (
        CaseStep.objects.filter(case__in=signed)
        .order_by()
        .values("phase", "title", day=on_case, **of_case)
        .annotate(
            first_position=Min("position"),
            **{
                name: Count("pk", filter=Q(status=status)) for status, name in STATUS_COUNTS.items()
            },
        )
    )
    placed = Q(wasted_reason="")
    side_rows = (
        Implant.objects.filter(placed, case__in=signed)
        .order_by()
        .values("side", day=on_case, **of_case)
        .annotate(implants=Count("pk"), sides=Count("case", distinct=True))
    )
    product_rows = (
        Implant.objects.filter(case__in=signed)
        .order_by()
        .values("manufacturer", "product", day=on_case, **of_case)
        .annotate(opened=Count("pk"), wasted=Count("pk", filter=~placed))
    )
    _add(CaseCount, case_rows, keys=("room",), counts=("signed_out", "cancelled"))
    if cancelled:
        return
    _add(
        StepCount,
        step_rows,
        keys=("phase", "title"),
        counts=tuple(STATUS_COUNTS.values()),
        smallest=("first_position",),
    )
    _add(ImplantSideCount, side_rows, keys=("side",), counts=("implants", "sides"))
    _add(
        ImplantProductCount,
        product_rows,
        keys=("manufacturer", "product"),
        counts=("opened", "wasted"),
    )
    q = "quality__"
    quality_rows = (
        closed.filter(status__in=SIGNED, quality__isnull=False)
        .values("procedure_id", "surgeon_id", day=day)
        .annotate(
            cases=Count("pk"),
            read_aloud=Count("pk", filter=read_aloud_q(q)),
            full_team=Count("pk", filter=full_team_q(q)),
            attested_well=Count("pk", filter=attested_well_q(q)),
            after_the_fact=Count("pk", filter=Q(quality__recorded_after_the_fact=True)),
            stops=Sum("quality__stops"),
        )
    )
    _add(QualityCount, quality_rows, keys=(), counts=QUALITY_COUNTS)
    count_measures(cases.filter(status__in=SIGNED))


QUALITY_COUNTS = ("cases", "read_aloud", "full_team", "attested_well", "after_the_fact", "stops")


def count_measures(cases: QuerySet[Case], measures_counted: Sequence[str] = tuple(Measure)) -> None:
    """Add one to the ``SpreadCount`` of each case's value of each measure (none where it
    has no value): one ``INSERT ... SELECT`` of the measures' grouped rows together."""
    parts = [
        cases.order_by()
        .filter(measures.measurable(measure))
        .annotate(value=measures.measured(measure))
        .values(
            "procedure_id",
            "surgeon_id",
            "value",
            month=_month("scheduled_start"),
            measure=Value(measure, output_field=CharField()),
        )
        .annotate(cases=Count("pk"))
        for measure in measures_counted
    ]
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    _add(SpreadCount, rows, head=SPREAD_KEY, keys=(), counts=("cases",))


def move_time_out_to_incision(
    case: Case, *, before: tuple[datetime.datetime | None, datetime.datetime | None]
) -> None:
    """After an amendment saved: move ``case``'s count of Time Out to incision from the value
    its times ``before`` the change (Time Out, incision) gave to the one they give now. No
    query when the times did not move; one, and the UPDATE and INSERT, when they did (both
    values computed by the database, as they were counted)."""
    if before == (case.time_out_at, case.incision_at):
        return
    was, now = (
        Case.objects.filter(pk=case.pk)
        .annotate(
            was=measures.WholeMinutesBetween(
                Value(before[0], output_field=DateTimeField()),
                Value(before[1], output_field=DateTimeField()),
            ),
            now=measures.measured(Measure.TIME_OUT_TO_INCISION),
        )
        .values_list("was", "now")
        .get()
    )
    if was == now:
        return
    if was is not None:
        moved = SpreadCount.objects.filter(
            month=_local_month(case),
            procedure_id=case.procedure_id,
            surgeon_id=case.surgeon_id,
            measure=Measure.TIME_OUT_TO_INCISION,
            value=was,
            cases__gt=0,
        ).update(cases=F("cases") - 1)
        if moved != 1:
            raise RuntimeError(_NOT_COUNTED)
    if now is not None:
        count_measures(Case.objects.filter(pk=case.pk), (Measure.TIME_OUT_TO_INCISION,))


def count_amendment(case: Case, step: CaseStep, *, status_before: str) -> None:
    """Move an amended step of a signed case from its old answer's count to its new one's.
    Nothing to do when only the value changed. One UPDATE."""
    if status_before == step.status:
        return
    before, after = STATUS_COUNTS[status_before], STATUS_COUNTS[step.status]
    moved = StepCount.objects.filter(
        day=timezone.localdate(case.scheduled_start, timezone.get_default_timezone()),
        procedure_id=case.procedure_id,
        surgeon_id=case.surgeon_id,
        phase=step.phase,
        title=step.title,
    ).update(**{before: F(before) - 1, after: F(after) + 1})
    if moved != 1:
        raise RuntimeError(_NOT_COUNTED)


_NOT_COUNTED = (
    "The dashboard's counts do not hold this signed case: run "
    "`manage.py rebuild_case_counts` (were they backfilled?)."
)


def rebuild() -> int:
    """Count every closed case again from scratch, in one transaction; return how many
    cases were counted. On PostgreSQL the counts are locked first, so a case closing
    meanwhile waits and is then added once (on SQLite the transaction's write lock does it).
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            tables = ", ".join(
                connection.ops.quote_name(model._meta.db_table) for model in SUMMARY_MODELS
            )
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")
        for model in SUMMARY_MODELS:
            model._default_manager.all().delete()
        ids = Case.objects.filter(status__in=CLOSED).order_by("pk").values_list("pk", flat=True)
        counted = 0
        for chunk in batched(ids.iterator(chunk_size=REBUILD_CHUNK), REBUILD_CHUNK):
            count_closed_cases(Case.objects.filter(pk__in=chunk))
            counted += len(chunk)
    return counted


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """``items`` in lists of ``size`` (``itertools.batched`` arrives with Python 3.12)."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _day(field: str) -> TruncDate:
    """The local day of a moment, in the hospital's time zone (the dashboard's days)."""
    return TruncDate(field, tzinfo=timezone.get_default_timezone())


def _month(field: str) -> TruncMonth:
    """The first day of a moment's local month."""
    return TruncMonth(field, output_field=DateField(), tzinfo=timezone.get_default_timezone())


def _local_month(case: Case) -> Any:
    return timezone.localdate(case.scheduled_start, timezone.get_default_timezone()).replace(day=1)


def _add(
    model: type[models.Model],
    rows: QuerySet,
    *,
    keys: Sequence[str],
    counts: Sequence[str],
    smallest: Sequence[str] = (),
    head: Sequence[str] = DAY_HEAD,
) -> None:
    """Add the counts of ``rows`` (a grouped query whose columns are named as the model's) to
    the model's rows of the same ``head`` (day, procedure, surgeon) and ``keys``, creating
    those not there yet; ``smallest`` columns keep the least value. One ``INSERT ... SELECT``:
    the database groups and adds, and the grouped rows never travel to Python and back (for a
    bulk batch of 1,000 cases some 60,000 step counts, which took a quarter of the generator's
    time).

    Rows go in key order, so two transactions adding to the same rows lock them in the same
    order (PostgreSQL) and cannot deadlock each other."""
    key = (*head, *keys)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(c) for c in (*key, *smallest, *counts))
    least = "LEAST" if connection.vendor == "postgresql" else "MIN"  # SQLite's min(a, b)
    updates = [f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in counts]
    updates += [f"{quote(c)} = {least}({table}.{quote(c)}, excluded.{quote(c)})" for c in smallest]
    grouped, params = rows.query.sql_with_params()
    # Names come from this module and the model's own table, never from a request. "WHERE
    # true" is SQLite's way to tell the upsert's ON from a join's.
    sql = (
        f"INSERT INTO {table} ({columns}) "  # noqa: S608
        f"SELECT {columns} FROM ({grouped}) grouped WHERE true "
        f"ORDER BY {', '.join(quote(c) for c in key)} "
        f"ON CONFLICT ({', '.join(quote(c) for c in key)}) "
        f"DO UPDATE SET {', '.join(updates)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
