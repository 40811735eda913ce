"""Reads of the debrief's actions (writes: ``checklists.workflow.debrief``): a case's own, the
briefing of open actions a case's team is shown at Sign In, and the reviewers' list."""

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from checklists.models import Case, DebriefAction
from checklists.selectors import in_order

OPEN, OVERDUE, CLOSED, ALL = "open", "overdue", "closed", "all"
STATUSES = {OPEN: "Open", OVERDUE: "Overdue", CLOSED: "Closed", ALL: "All"}


@dataclass(frozen=True)
class Debrief:
    """What the checklist page shows of the debrief: ``actions`` agreed at this case's debrief
    (open or closed), and the ``briefing``: open actions of other cases in the same room or of
    the same procedure, heard at this case's Sign In until someone closes them."""

    actions: list[DebriefAction]
    briefing: list[DebriefAction]


def debrief_for(case: Case, *, briefing: bool = True) -> Debrief:
    """``case``'s debrief and (unless ``briefing`` is False) its briefing, by due day, with
    their cases and people: one query for both."""
    earlier = Q(closed_at__isnull=True) & (
        Q(case__room=case.room) | Q(case__procedure_id=case.procedure_id)
    )
    rows = DebriefAction.objects.filter(Q(case=case) | earlier if briefing else Q(case=case))
    rows = rows.select_related("case__procedure", "owner", "raised_by", "closed_by")
    actions = in_order(rows, "due", "raised_at", "pk")
    mine = [action for action in actions if action.case_id == case.pk]
    others = [action for action in actions if action.case_id != case.pk] if briefing else []
    return Debrief(actions=mine, briefing=others)


def actions_by_status(
    status: str, *, today: datetime.date | None = None
) -> QuerySet[DebriefAction]:
    """Every case's actions for reviewers: ``open`` (by due day), ``overdue`` (open past their
    due day), ``closed`` (newest closed first) or ``all``; each with its case and people."""
    today = today or timezone.localdate()
    actions = DebriefAction.objects.select_related(
        "case__procedure", "owner", "raised_by", "closed_by"
    )
    if status == OPEN:
        return actions.filter(closed_at__isnull=True)
    if status == OVERDUE:
        return actions.filter(closed_at__isnull=True, due__lt=today)
    if status == CLOSED:
        return actions.filter(closed_at__isnull=False).order_by("-closed_at", "-pk")
    return actions
