"""The dashboard's counts of closed cases, kept day by day (``checklists.models.summary``).

The one writer of those rows. ``count_closed_cases`` adds the figures of cases as they close
(signed out or cancelled); ``count_amendment`` moves one step from its old answer's count to
its new one. The workflow calls them inside the transaction of the change, after the case is
saved, so a count can never disagree with the cases that committed. The bulk generator calls
``count_closed_cases`` for each batch it writes, and ``rebuild`` (``manage.py
rebuild_case_counts``) counts every case again, with the same function.

Counts are added with one ``INSERT ... ON CONFLICT DO UPDATE`` per table, which SQLite and
PostgreSQL both understand: two cases closing at once on the same day and surgeon add up
rather than race to create the row.
"""

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Count, F, Min, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from checklists.choices import CaseStatus, StepStatus
from checklists.models import (
    Case,
    CaseCount,
    CaseStep,
    Implant,
    ImplantProductCount,
    ImplantSideCount,
    StepCount,
)

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
)


def count_closed_cases(cases: QuerySet[Case]) -> None:
    """Add to the day's counts the figures of ``cases`` that are closed (signed out or
    cancelled). Call once per case, as it closes: a case counted twice is counted twice.

    A cancelled case adds to ``CaseCount.cancelled`` only; a signed-out one adds its case,
    its steps as they stand and its implants. Four grouped queries and one statement per
    table that has rows to add, whether ``cases`` is one case or a batch of thousands.
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
        raise RuntimeError(
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


def _add(
    model: type[models.Model],
    rows: QuerySet,
    *,
    keys: Sequence[str],
    counts: Sequence[str],
    smallest: Sequence[str] = (),
) -> None:
    """Add the counts of ``rows`` (a grouped query whose columns are named as the model's) to
    the model's rows of the same day, procedure, surgeon and ``keys``, creating those not there
    yet; ``smallest`` columns keep the least value. One ``INSERT ... SELECT``: the database
    groups and adds, and the grouped rows never travel to Python and back (for a bulk batch of
    1,000 cases some 60,000 step counts, which took a quarter of the generator's time).

    Rows go in key order, so two transactions adding to the same rows lock them in the same
    order (PostgreSQL) and cannot deadlock each other."""
    key = ("day", "procedure_id", "surgeon_id", *keys)
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
