"""The debrief at Sign Out (NatSSIPs 2): an action agreed by the team, and its closing.

An action is added while the case is in the room, or within ``ADD_AFTER_SIGN_OUT`` of the
surgeon's signature: teams often debrief as the patient leaves, after the surgeon has signed,
and the signature must not cost them the debrief; later than that, what comes up belongs to a
later case (an old case's record is not written into weeks on). An action outlives its case:
OR staff or reviewers close it at any time, with a note. Each is one event on the chain of the
case that raised it.
"""

import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.choices import ClinicalRole
from accounts.context import NO_CONTEXT, RequestContext
from accounts.people import display_name
from checklists import payloads
from checklists.choices import AuditAction, CaseStatus
from checklists.errors import CaseLocked, NotFound, NotPermitted, RuleViolation
from checklists.models import Case, DebriefAction, max_length
from checklists.workflow.chain import append_event
from checklists.workflow.common import lock_case, require_permission, required_reason

ADD_AFTER_SIGN_OUT = datetime.timedelta(hours=2)


def add_debrief_action(
    *,
    actor: User,
    case_id: int,
    what: str,
    due: datetime.date,
    owner: User | None = None,
    owner_role: str = "",
    context: RequestContext = NO_CONTEXT,
) -> DebriefAction:
    """Add an action agreed at the debrief: what is to be done, by whom (a person, or a
    theatre role: ``ClinicalRole``) and by when. The same action again while it is open (same
    words, owner and day: a double tap) is returned, not added twice."""
    require_permission(actor, "checklists.record_step", "Your role cannot add debrief actions.")
    what = required_reason(
        what, missing="Say what is to be done.", limit=max_length(DebriefAction, "what")
    )
    if (owner is None) == (not owner_role):
        raise RuleViolation("Give the action one owner: a person or a role.")
    if owner_role and owner_role not in ClinicalRole.values:
        raise RuleViolation("That is not a theatre role.")
    if owner is not None and not owner.is_active:
        raise RuleViolation(f"{owner.get_username()} can no longer own an action.")
    if due < timezone.localdate():
        raise RuleViolation("The due date has passed: choose today or a later day.")
    with transaction.atomic():
        case = lock_case(case_id)
        _check_debrief_open(case)
        same = case.debrief_actions.filter(
            closed_at__isnull=True, what=what, owner=owner, owner_role=owner_role, due=due
        ).first()
        if same is not None:
            return same
        action = DebriefAction.objects.create(
            case=case,
            what=what,
            owner=owner,
            owner_role=owner_role,
            due=due,
            raised_by=actor,
            raised_at=timezone.now(),
        )
        append_event(
            case,
            actor=actor,
            action=AuditAction.DEBRIEF_ACTION_ADDED,
            after=payloads.debrief_action_added(
                action=action.pk, what=what, owner=action.owner_id, owner_role=owner_role, due=due
            ),
            context=context,
            now=action.raised_at,
        )
    return action


def close_debrief_action(
    *, actor: User, action_id: int, note: str, context: RequestContext = NO_CONTEXT
) -> DebriefAction:
    """Close an action, with a note of what was done, whenever that is (its case may long be
    signed out and reviewed). OR staff close it at a later case's Sign In, reviewers from
    their list. An action already closed is refused, with who closed it."""
    if not actor.is_active or not (
        actor.has_perm("checklists.record_step") or actor.has_perm("checklists.review_case")
    ):
        raise NotPermitted("Your role cannot close debrief actions.")
    note = required_reason(
        note,
        missing="Say what was done to close the action.",
        limit=max_length(DebriefAction, "closing_note"),
    )
    case_id = DebriefAction.objects.filter(pk=action_id).values_list("case_id", flat=True).first()
    if case_id is None:
        raise NotFound("There is no such debrief action.")
    with transaction.atomic():
        case = lock_case(case_id)
        action = case.debrief_actions.select_related("closed_by").get(pk=action_id)
        if not action.is_open:
            closer = display_name(action.closed_by) if action.closed_by else "someone"
            raise RuleViolation(f"This action was already closed by {closer}.")
        action.closing_note, action.closed_by = note, actor
        action.closed_at = timezone.now()
        action.save(update_fields=["closing_note", "closed_by", "closed_at"])
        append_event(
            case,
            actor=actor,
            action=AuditAction.DEBRIEF_ACTION_CLOSED,
            after=payloads.debrief_action_closed(action=action.pk, note=note),
            context=context,
            now=action.closed_at,
        )
    return action


def debrief_is_open(case: Case, *, now: datetime.datetime | None = None) -> bool:
    """Whether actions may still be added to ``case``: in the room, or signed out within
    ``ADD_AFTER_SIGN_OUT`` (and not yet reviewed). The page asks it too."""
    if case.is_open:
        return True
    return (
        case.status == CaseStatus.COMPLETED
        and case.completed_at is not None
        and (now or timezone.now()) - case.completed_at <= ADD_AFTER_SIGN_OUT
    )


def _check_debrief_open(case: Case) -> None:
    if debrief_is_open(case):
        return
    if case.status == CaseStatus.CANCELLED:
        raise CaseLocked("This case was cancelled; it takes no debrief actions.")
    raise CaseLocked(
        "The debrief of this case is over (actions are added up to two hours after the "
        "surgeon signs). Add the action at the next case."
    )
