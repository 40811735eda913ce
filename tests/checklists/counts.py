"""The dashboard's day-by-day counts, two ways: as kept (``checklists.summary``'s rows) and
as recounted here from the cases, case by case in Python, independently of its SQL."""

import datetime
import math
from collections import Counter, defaultdict
from typing import Any

from django.utils import timezone

from checklists.models import (
    Case,
    CaseCount,
    CaseQuality,
    CaseStep,
    Implant,
    ImplantProductCount,
    ImplantSideCount,
    QualityCount,
    SpreadCount,
    StepCount,
)

SIGNED = {"completed", "reviewed"}
STATUS_COLUMN = {"done": 0, "na": 1, "pending": 2}
Tables = dict[str, dict[tuple, tuple]]


def kept() -> Tables:
    """Every kept row: key → counts, by table."""
    tables: Tables = {}
    for model, keys, counts in (
        (CaseCount, ("room",), ("signed_out", "cancelled")),
        (StepCount, ("phase", "title"), ("first_position", "done", "not_applicable", "pending")),
        (ImplantSideCount, ("side",), ("implants", "sides")),
        (ImplantProductCount, ("manufacturer", "product"), ("opened", "wasted")),
    ):
        key = ("day", "procedure_id", "surgeon_id", *keys)
        tables[model.__name__] = {
            row[: len(key)]: row[len(key) :] for row in model.objects.values_list(*key, *counts)
        }
    quality = ("cases", "read_aloud", "full_team", "attested_well", "after_the_fact", "stops")
    tables["QualityCount"] = {
        row[:3]: row[3:]
        for row in QualityCount.objects.values_list("day", "procedure_id", "surgeon_id", *quality)
    }
    # A histogram's rows at zero (an amendment moved its one case away) count nothing.
    tables["SpreadCount"] = {
        row[:5]: row[5]
        for row in SpreadCount.objects.filter(cases__gt=0).values_list(
            "month", "procedure_id", "surgeon_id", "measure", "value", "cases"
        )
    }
    return tables


def whole_minutes(start: datetime.datetime | None, end: datetime.datetime | None) -> int | None:
    """``checklists.measures.WholeMinutesBetween``, in Python: whole seconds (to the
    millisecond first, as SQLite times them), then the nearest minute, halves up."""
    if start is None or end is None:
        return None
    seconds = math.floor(round((end - start).total_seconds(), 3))
    return (seconds + 30) // 60


def recount() -> Tables:
    """The same counts, from every closed case as it stands."""
    zone = timezone.get_default_timezone()
    cases: dict[int, tuple] = {}
    case_counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    spreads: Counter[tuple] = Counter()
    for case in Case.objects.filter(status__in=[*SIGNED, "cancelled"]):
        day = timezone.localdate(case.scheduled_start, zone)
        head = (day, case.procedure_id, case.surgeon_id)
        case_counts[(*head, case.room)][0 if case.status in SIGNED else 1] += 1
        if case.status in SIGNED:
            cases[case.pk] = head
            month = (day.replace(day=1), case.procedure_id, case.surgeon_id)
            for measure, value in (
                ("time_out_to_incision", whole_minutes(case.time_out_at, case.incision_at)),
                ("duration", whole_minutes(case.started_at, case.completed_at)),
            ):
                if value is not None:
                    spreads[(*month, measure, value)] += 1
    quality: dict[tuple, list[int]] = defaultdict(lambda: [0] * 6)
    for facts in CaseQuality.objects.filter(case_id__in=cases):
        head = cases[facts.case_id]
        row = quality[head]
        for index, fact in enumerate(
            (True, facts.read_aloud, facts.full_team, facts.attested_well)
        ):
            row[index] += bool(fact)
        row[4] += facts.recorded_after_the_fact
        row[5] += facts.stops
        if facts.time_out_seconds is not None:
            spreads[(head[0].replace(day=1), *head[1:], "time_out", facts.time_out_seconds)] += 1
    steps: dict[tuple, list[Any]] = {}
    for step in CaseStep.objects.filter(case_id__in=cases):
        key = (*cases[step.case_id], step.phase, step.title)
        row = steps.setdefault(key, [step.position, 0, 0, 0])
        row[0] = min(row[0], step.position)
        row[1 + STATUS_COLUMN[step.status]] += 1
    sides: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    sides_seen: set[tuple] = set()
    products: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for implant in Implant.objects.filter(case_id__in=cases):
        head = cases[implant.case_id]
        product = products[(*head, implant.manufacturer, implant.product)]
        product[0] += 1
        if implant.wasted_reason:
            product[1] += 1
            continue
        side = sides[(*head, implant.side)]
        side[0] += 1
        if (implant.case_id, implant.side) not in sides_seen:
            sides_seen.add((implant.case_id, implant.side))
            side[1] += 1
    return {
        "CaseCount": {key: tuple(value) for key, value in case_counts.items()},
        "StepCount": {key: tuple(value) for key, value in steps.items()},
        "ImplantSideCount": {key: tuple(value) for key, value in sides.items()},
        "ImplantProductCount": {key: tuple(value) for key, value in products.items()},
        "QualityCount": {key: tuple(value) for key, value in quality.items()},
        "SpreadCount": dict(spreads),
    }
