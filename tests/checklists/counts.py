"""The dashboard's day-by-day counts, two ways: as kept (``checklists.summary``'s rows) and
as recounted here from the cases, case by case in Python, independently of its SQL."""

from collections import defaultdict
from typing import Any

from django.utils import timezone

from checklists.models import (
    Case,
    CaseCount,
    CaseStep,
    Implant,
    ImplantProductCount,
    ImplantSideCount,
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
    return tables


def recount() -> Tables:
    """The same counts, from every closed case as it stands."""
    zone = timezone.get_default_timezone()
    cases: dict[int, tuple] = {}
    case_counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for case in Case.objects.filter(status__in=[*SIGNED, "cancelled"]):
        day = timezone.localdate(case.scheduled_start, zone)
        head = (day, case.procedure_id, case.surgeon_id)
        case_counts[(*head, case.room)][0 if case.status in SIGNED else 1] += 1
        if case.status in SIGNED:
            cases[case.pk] = head
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
    }
