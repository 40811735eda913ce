"""A closed case's quality facts: their one definition, and their one writer.

What a reviewer needs beside completion (which sits near 100 % and hides the real problems):
how the Time Out was performed, whether the team had to stop, and whether the checklist was
filled in as the case went or caught up afterwards. ``quality_of`` computes them from a case's
Time Outs, Stops and step times (pure: the record page and the bulk generator use it on rows
they hold); ``store_quality`` writes ``CaseQuality`` rows for closed cases, in a few grouped
queries whether it is given one case or thousands. The workflow calls ``store_closing_case``
(the same, for the one case it holds) in the transaction that closes a case (sign-out,
cancellation), the bulk generator ``store_quality`` for each batch it writes,
``rebuild`` (``manage.py rebuild_case_quality``) for every closed case, and migration 0039
for the cases closed before the facts were kept.

Cancelled cases keep their facts too (a Stop that ended in a cancellation is worth finding),
the list shows them when asked for cancelled cases; the dashboard, as its completion figures,
counts signed-out cases only.

Amendments: the facts are about how the case was checked until it closed. An amendment only
changes a step's answer, and the time it stores on the step is the amendment's; the facts read
an amended step at the time it was recorded as signed (the ``before`` of its first
``step_amended`` event), so an amendment changes none of them (nor what ``rebuild`` finds).
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Q, QuerySet

from checklists.choices import AuditAction, CaseStatus
from checklists.models import Case, CaseQuality
from procedures.choices import Phase

CLOSED = (CaseStatus.COMPLETED, CaseStatus.REVIEWED, CaseStatus.CANCELLED)

# "Recorded after the fact": the checklist was caught up, not kept as the case went.
# - A step recorded after the case closed (signed out or cancelled), an amendment aside.
#   The workflow refuses that on a locked case; it finds rows written around it.
# - BURST_STEPS or more steps recorded within BURST_WINDOW: a catch-up entry. A team that works
#   through the checklist ticks a step every tens of seconds as it is spoken or done; in the
#   generated history (which follows those timings) the closest steps of a phase are 11 s
#   apart, so no eight of them fit in a minute (seven gaps of at least 11 s take 77 s). A
#   nurse catching up at the end taps down the list a few seconds a row: 8 rows in 60 s or
#   less. Not counted: the Time Out items confirmed while the read-aloud Time Out was in
#   progress, which the nurse confirms as each is spoken, and may well be quick.
BURST_STEPS = 8
BURST_WINDOW = datetime.timedelta(seconds=60)
# Cases per round of queries in ``store_quality`` and ``rebuild``.
CHUNK = 2000


class TimeOutFacts(NamedTuple):
    """A Time Out's columns that quality reads, in ``TIME_OUT_FIELDS`` order."""

    side: str
    started_at: datetime.datetime
    ended_at: datetime.datetime | None
    invalidated_at: datetime.datetime | None
    surgeon_id: int | None
    anaesthetist_id: int | None
    circulating_nurse_id: int | None
    scrub_id: int | None
    all_items_spoken: bool | None
    everyone_present: bool | None
    interruptions: int | None

    @classmethod
    def of(cls, time_out: Any) -> "TimeOutFacts":
        return cls(*(getattr(time_out, name) for name in cls._fields))


class StopFacts(NamedTuple):
    """A Stop's (``Concern``) columns that quality reads."""

    raised_at: datetime.datetime
    resolved_at: datetime.datetime | None

    @classmethod
    def of(cls, concern: Any) -> "StopFacts":
        return cls(concern.raised_at, concern.resolved_at)


class StepTime(NamedTuple):
    """A recorded step: its phase and when it was recorded (as signed, for an amended one)."""

    phase: str
    recorded_at: datetime.datetime


TIME_OUT_FIELDS = TimeOutFacts._fields
ROLES = ("surgeon", "anaesthetist", "circulating_nurse", "scrub")


@dataclass(frozen=True)
class QualityFacts:
    """What a reviewer is told about how the checks were done (``CaseQuality``'s columns).

    - ``time_out_seconds``: the duration of the case's first Time Out that ended (its own, not
      a side's: later ones reread items already recorded, and are shorter by design);
    - ``<role>_present``: the role was there at every Time Out that ended (the case's, a
      repeat, a side's); the workflow demands surgeon, anaesthetist and circulating nurse, so
      in practice it is the scrub that may be missing;
    - ``all_items_spoken``, ``everyone_present``: "yes" at every Time Out that ended;
      ``interruptions``: their sum. All None when no Time Out ended;
    - ``stops``: the Stops called by the team; ``longest_stop_seconds``: the longest, raised to
      resolved (to the case's closing when never resolved);
    - ``time_outs_repeated``: Time Outs beyond those required, one per side read (the case's,
      a bilateral case's second side's): each repeats one a Stop or a new surgeon made stale;
    - ``steps_after_closing``, ``busiest_minute_steps``, ``recorded_after_the_fact``: see
      ``BURST_STEPS`` above.
    """

    time_out_seconds: int | None
    surgeon_present: bool | None
    anaesthetist_present: bool | None
    circulating_nurse_present: bool | None
    scrub_present: bool | None
    all_items_spoken: bool | None
    everyone_present: bool | None
    interruptions: int | None
    stops: int
    longest_stop_seconds: int | None
    time_outs_repeated: int
    steps_after_closing: int
    busiest_minute_steps: int
    recorded_after_the_fact: bool


def quality_of(
    *,
    time_outs: Iterable[TimeOutFacts],
    stops: Iterable[StopFacts],
    steps: Iterable[StepTime],
    closed_at: datetime.datetime | None,
) -> QualityFacts:
    """The facts of one case from its Time Outs, its Stops and its recorded steps' times.
    ``closed_at``: when it was signed out or cancelled (None while open: the record page shows
    an open case's facts so far)."""
    time_outs = sorted(time_outs, key=lambda t: t.started_at)
    ended = [t for t in time_outs if t.ended_at is not None]
    first = next((t for t in ended if not t.side), None)
    stops = list(stops)
    lengths = []
    for stop in stops:
        until = stop.resolved_at or closed_at
        if until is not None:
            lengths.append(_seconds(until - stop.raised_at))
    times = [step.recorded_at for step in steps if not _read_aloud(step, time_outs)]
    after = sum(1 for at in times if closed_at is not None and at > closed_at)
    busiest = busiest_window(times, BURST_WINDOW)
    present = {
        role: all(getattr(t, f"{role}_id") is not None for t in ended) if ended else None
        for role in ROLES
    }
    return QualityFacts(
        time_out_seconds=_seconds(first.ended_at - first.started_at)
        if first and first.ended_at
        else None,
        surgeon_present=present["surgeon"],
        anaesthetist_present=present["anaesthetist"],
        circulating_nurse_present=present["circulating_nurse"],
        scrub_present=present["scrub"],
        all_items_spoken=all(bool(t.all_items_spoken) for t in ended) if ended else None,
        everyone_present=all(bool(t.everyone_present) for t in ended) if ended else None,
        interruptions=sum(t.interruptions or 0 for t in ended) if ended else None,
        stops=len(stops),
        longest_stop_seconds=max(lengths, default=None),
        time_outs_repeated=len(time_outs) - len({t.side for t in time_outs}),
        steps_after_closing=after,
        busiest_minute_steps=busiest,
        recorded_after_the_fact=after > 0 or busiest >= BURST_STEPS,
    )


def busiest_window(times: Iterable[datetime.datetime], window: datetime.timedelta) -> int:
    """The most of ``times`` within any stretch of ``window`` (both ends included)."""
    ordered = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(ordered):
        while at - ordered[start] > window:
            start += 1
        most = max(most, end - start + 1)
    return most


def _read_aloud(step: StepTime, time_outs: Sequence[TimeOutFacts]) -> bool:
    """A Time Out item confirmed while a Time Out was in progress (read aloud)."""
    if step.phase != Phase.TIME_OUT:
        return False
    for t in time_outs:
        until = t.ended_at or t.invalidated_at
        if t.started_at <= step.recorded_at and (until is None or step.recorded_at <= until):
            return True
    return False


def _seconds(duration: datetime.timedelta) -> int:
    return max(0, round(duration.total_seconds()))


# --- the rows ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QualityModels:
    """The models ``store_quality`` reads and writes: the application's, or a migration's
    historical ones (``apps.get_model``), which have the same columns."""

    case_step: Any
    time_out: Any
    concern: Any
    audit_event: Any
    case_quality: Any


def live_models() -> QualityModels:
    from checklists.models import AuditEvent, CaseStep, Concern, TimeOut

    return QualityModels(CaseStep, TimeOut, Concern, AuditEvent, CaseQuality)


def store_quality(cases: QuerySet[Case], *, tables: QualityModels | None = None) -> int:
    """Write the quality facts of ``cases`` that are closed, replacing any row they had; return
    how many were written. Five grouped queries and the inserts per ``CHUNK`` cases: the
    cases, their Time Outs, Stops, recorded steps and (for amended cases) amendments."""
    tables = tables or live_models()
    written = 0
    rows = cases.filter(status__in=CLOSED).order_by("pk")
    columns = rows.values_list("pk", "completed_at", "cancelled_at", "amended")
    for chunk in _chunks(columns.iterator(chunk_size=CHUNK), CHUNK):
        facts = _facts_of_chunk(tables, chunk)
        ids = [pk for pk, *_ in chunk]
        tables.case_quality.objects.filter(case_id__in=ids).delete()
        tables.case_quality.objects.bulk_create(
            [tables.case_quality(case_id=pk, **asdict(fact)) for pk, fact in facts.items()],
            batch_size=500,
        )
        written += len(facts)
    return written


def store_closing_case(case: Case) -> CaseQuality:
    """Write the facts of ``case`` as it closes (signed out or cancelled, saved), in the
    workflow's transaction: four queries, whatever its size (its Time Outs, Stops and steps
    read; one INSERT). A case closes once, so it has no row to replace, and no amendment yet."""
    [(pk, facts)] = _facts_of_chunk(
        live_models(), [(case.pk, case.completed_at, case.cancelled_at, case.amended)]
    ).items()
    return CaseQuality.objects.create(case_id=pk, **asdict(facts))


def _facts_of_chunk(tables: QualityModels, chunk: list[tuple]) -> dict[int, QualityFacts]:
    ids = [pk for pk, *_ in chunk]
    time_outs: dict[int, list[TimeOutFacts]] = defaultdict(list)
    for case_id, *fields in (
        tables.time_out.objects.filter(case_id__in=ids)
        .order_by()
        .values_list("case_id", *TIME_OUT_FIELDS)
    ):
        time_outs[case_id].append(TimeOutFacts(*fields))
    stops: dict[int, list[StopFacts]] = defaultdict(list)
    for case_id, raised, resolved in (
        tables.concern.objects.filter(case_id__in=ids)
        .order_by()
        .values_list("case_id", "raised_at", "resolved_at")
    ):
        stops[case_id].append(StopFacts(raised, resolved))
    signed_at = _signed_times(tables, [pk for pk, _, _, amended in chunk if amended])
    steps: dict[int, list[StepTime]] = defaultdict(list)
    for case_id, step_id, phase, recorded_at in (
        tables.case_step.objects.filter(case_id__in=ids, recorded_at__isnull=False)
        .order_by()
        .values_list("case_id", "pk", "phase", "recorded_at")
    ):
        steps[case_id].append(StepTime(phase, signed_at.get(step_id, recorded_at)))
    return {
        pk: quality_of(
            time_outs=time_outs[pk],
            stops=stops[pk],
            steps=steps[pk],
            closed_at=completed_at or cancelled_at,
        )
        for pk, completed_at, cancelled_at, _ in chunk
    }


def _signed_times(tables: QualityModels, case_ids: list[int]) -> dict[int, datetime.datetime]:
    """Each amended step's time as signed: from its first amendment's ``before``. One query,
    none when no case is amended."""
    if not case_ids:
        return {}
    found: dict[int, datetime.datetime] = {}
    events = (
        tables.audit_event.objects.filter(case_id__in=case_ids, action=AuditAction.STEP_AMENDED)
        .order_by("case_id", "seq")
        .values_list("step_id", "before")
    )
    for step_id, before in events:
        recorded_at = (before or {}).get("recorded_at")
        if step_id is not None and step_id not in found and recorded_at:
            found[step_id] = datetime.datetime.fromisoformat(recorded_at)
    return found


def rebuild() -> int:
    """Every closed case's facts written again, in one transaction; return how many. On
    PostgreSQL the table is locked first, so a case closing meanwhile waits, then writes its
    own row once (on SQLite the transaction's write lock does it)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            table = connection.ops.quote_name(CaseQuality._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        CaseQuality.objects.all().delete()
        return store_quality(Case.objects.all())


def _chunks(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- in SQL, for the review list's filters and the dashboard ----------------------------------


def full_team_q(prefix: str = "") -> Q:
    """``CaseQuality.full_team`` is True; ``prefix`` leads to the row ("quality__")."""
    return Q(**{f"{prefix}{role}_present": True for role in ROLES})


def team_missing_q(prefix: str = "") -> Q:
    """A Time Out ended without one of the roles (``full_team`` is False)."""
    missing = Q()
    for role in ROLES:
        missing |= Q(**{f"{prefix}{role}_present": False})
    return missing


def attested_well_q(prefix: str = "") -> Q:
    """``CaseQuality.attested_well`` is True."""
    return Q(
        **{
            f"{prefix}all_items_spoken": True,
            f"{prefix}everyone_present": True,
            f"{prefix}interruptions": 0,
        }
    )


def attested_badly_q(prefix: str = "") -> Q:
    """``CaseQuality.attested_well`` is False: an item not spoken, someone not there, or an
    interruption."""
    return (
        Q(**{f"{prefix}all_items_spoken": False})
        | Q(**{f"{prefix}everyone_present": False})
        | Q(**{f"{prefix}interruptions__gt": 0})
    )


def read_aloud_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}surgeon_present__isnull": False})


QUALITY_FIELDS: tuple[str, ...] = tuple(
    field.name for field in CaseQuality._meta.concrete_fields if field.name != "case"
)
assert set(QUALITY_FIELDS) == set(QualityFacts.__dataclass_fields__), "CaseQuality changed"
