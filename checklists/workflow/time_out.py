"""The team's Time Out, read aloud: started, its items confirmed one by one as they are spoken,
ended with the team present and its attestations; made stale by a new surgeon or a Stop.

The gate it keeps is ``checklists.models.TimeOutGate`` (procedure steps wait for a Time Out
that holds, and in a bilateral case the second side's steps for that side's own Time Out);
``steps.check_gates`` refuses by it.

- The case's first Time Out records its items as the circulating nurse confirms each one
  spoken (``confirm_time_out_item``): the step is recorded by ``record_step``'s own rules and
  event (``steps.record_on_locked_case``), inside the Time Out.
- A repeated Time Out (the first no longer holds) finds its items already recorded: the team
  reads them aloud again from the read-aloud screen, which writes nothing per item; the ending
  records the team and the attestations. So does a side Time Out, whose three items (the side,
  the site mark visible, the implants for that side) are read, not recorded as steps.
- The attestations are recorded as the team gives them, never refused: they measure how well
  the Time Out was done (Pickering, BMJ Qual Saf 2013), and a refusal of "no" would only teach
  a team to answer "yes".
"""

import datetime
from dataclasses import dataclass
from typing import cast

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.context import NO_CONTEXT, RequestContext
from accounts.people import display_name, holds_role
from checklists import payloads
from checklists.choices import AuditAction, Side, StepStatus
from checklists.errors import (
    CaseLocked,
    CaseStopped,
    NotFound,
    RuleViolation,
    TimeOutChanged,
    TimeOutNeeded,
)
from checklists.models import Case, CaseStep, TimeOut, time_out_gate
from checklists.workflow.answers import Answer
from checklists.workflow.chain import append_event
from checklists.workflow.common import get_step, lock_case, locked_message, require_permission
from checklists.workflow.steps import check_gates, record_on_locked_case
from procedures.choices import Phase, StepRole

# The most interruptions a Time Out's record takes: more is a typing slip.
MOST_INTERRUPTIONS = 99


@dataclass(frozen=True)
class TimeOutTeam:
    """The team present, by role, picked from the staff list. The scrub may be None."""

    surgeon: User
    anaesthetist: User
    circulating_nurse: User
    scrub: User | None = None

    def members(self) -> list[tuple[str, str, User | None]]:
        """(field, role the person must hold, person) for each place in the team."""
        return [
            ("surgeon", StepRole.SURGEON, self.surgeon),
            ("anaesthetist", StepRole.ANAESTHETIST, self.anaesthetist),
            ("circulating_nurse", StepRole.NURSE, self.circulating_nurse),
            ("scrub", StepRole.SCRUB, self.scrub),
        ]


@dataclass(frozen=True)
class Attestation:
    """What the team attests at the end: every item spoken aloud; everyone stopped and
    present; how many interruptions (0 for none)."""

    all_items_spoken: bool
    everyone_present: bool
    interruptions: int


@dataclass(frozen=True)
class SideItem:
    """One item of a side Time Out, as the read-aloud screen shows it."""

    title: str
    role: str

    @property
    def role_label(self) -> str:
        return StepRole(self.role).label.lower()


def side_items(case: Case, side: str) -> list[SideItem]:
    """The items of ``side``'s Time Out, read aloud before its first procedure step."""
    label = Side(side).label.lower()
    logged = case.implants.filter(side=side, wasted_reason="").count()
    return [
        SideItem(f"Side to operate now: {label.upper()}, as on the consent", StepRole.SURGEON),
        SideItem(f"Site mark visible on the {label} side", StepRole.SURGEON),
        SideItem(f"Implants for the {label} side ready ({logged} logged so far)", StepRole.NURSE),
    ]


def start_time_out(
    *, actor: User, case_id: int, side: str = "", context: RequestContext = NO_CONTEXT
) -> TimeOut:
    """Start the Time Out: the case's (``side`` ""), or a bilateral case's side Time Out of its
    second side (``TimeOutGate``). Starting one already in progress returns it (a double tap, a
    second tablet); one that still holds is not started again."""
    require_permission(actor, "checklists.record_step", "Your role cannot start the Time Out.")
    with transaction.atomic():
        case = _open_case(case_id)
        gate = time_out_gate(case)
        if not gate.required:
            raise RuleViolation("This checklist has no Time Out to read aloud.")
        latest = gate.latest(side)
        if latest is not None and latest.in_progress:
            return latest
        if latest is not None and latest.holds:
            assert latest.ended_at is not None
            when = timezone.localtime(latest.ended_at).strftime("%H:%M")
            raise RuleViolation(f"The {latest.label} done at {when} still holds.")
        if side:
            _check_side(case, side, second_side=gate.second_side, case_holds=gate.holds(""))
        else:
            first = case.steps.filter(phase=Phase.TIME_OUT).order_by("position").first()
            if first is not None and not first.is_recorded:
                check_gates(case, first)  # Sign In and its hard stops come first
        concern = case.concerns.filter(resolved_at__isnull=True).first()
        if concern is not None:
            raise CaseStopped(f"A Stop stands: “{concern.reason}”. Resolve it before the Time Out.")
        time_out = TimeOut.objects.create(
            case=case, side=side, started_by=actor, started_at=timezone.now()
        )
        append_event(
            case,
            actor=actor,
            action=AuditAction.TIME_OUT_STARTED,
            after=payloads.time_out_started(time_out=time_out.pk, side=side),
            context=context,
            now=time_out.started_at,
        )
    return time_out


def confirm_time_out_item(
    *,
    actor: User,
    case_id: int,
    time_out_id: int,
    step_id: int,
    answer: Answer,
    revision: int,
    context: RequestContext = NO_CONTEXT,
) -> CaseStep:
    """The circulating nurse confirms a Time Out item as it is spoken: the step is recorded by
    ``record_step``'s rules (revision, gates, answer checked) and its one event, while the Time
    Out is in progress. An item already in that state changes nothing (a double tap)."""
    require_permission(actor, "checklists.record_step", "Your role cannot record checklist steps.")
    if answer.status == StepStatus.PENDING:
        raise RuleViolation("An item is confirmed as spoken, not put back: use the checklist.")
    with transaction.atomic():
        case = _open_case(case_id)
        time_out = _time_out(case, time_out_id)
        if time_out.side:
            raise RuleViolation("A side Time Out's items are read aloud; nothing to record.")
        _check_in_progress(time_out)
        step = get_step(case, step_id)
        if step.phase != Phase.TIME_OUT:
            raise RuleViolation(f"“{step.label}” is not a Time Out item.")
        return record_on_locked_case(
            case, actor=actor, step=step, answer=answer, revision=revision, context=context
        )


def end_time_out(
    *,
    actor: User,
    case_id: int,
    time_out_id: int,
    team: TimeOutTeam,
    attestation: Attestation,
    context: RequestContext = NO_CONTEXT,
) -> TimeOut:
    """End the Time Out with the team present and the team's attestations. The case's Time Out
    ends only when every required item is recorded. Ending it again with the same team and
    attestations changes nothing; with others, it is refused (someone else ended it first)."""
    require_permission(actor, "checklists.record_step", "Your role cannot end the Time Out.")
    _check_team(team)
    _check_attestation(attestation)
    with transaction.atomic():
        case = _open_case(case_id)
        time_out = _time_out(case, time_out_id)
        if time_out.ended_at is not None and time_out.invalidated_at is None:
            if _as_ended(time_out) == _as_sent(team, attestation):
                return time_out
            ended_by = User.objects.get(pk=cast(int, time_out.ended_by_id))
            when = timezone.localtime(time_out.ended_at).strftime("%H:%M")
            raise TimeOutChanged(
                f"{display_name(ended_by)} ended this {time_out.label} at {when}, "
                "with its team and attestations. What you sent was not saved; the record is "
                "shown."
            )
        _check_in_progress(time_out)
        if not time_out.side:
            _check_items_recorded(case)
        time_out.ended_by, time_out.ended_at = actor, timezone.now()
        for field, _role, person in team.members():
            setattr(time_out, field, person)
        time_out.all_items_spoken = attestation.all_items_spoken
        time_out.everyone_present = attestation.everyone_present
        time_out.interruptions = attestation.interruptions
        time_out.save()
        append_event(
            case,
            actor=actor,
            action=AuditAction.TIME_OUT_ENDED,
            after=payloads.time_out_ended(
                time_out=time_out.pk,
                surgeon=team.surgeon.pk,
                anaesthetist=team.anaesthetist.pk,
                circulating_nurse=team.circulating_nurse.pk,
                scrub=team.scrub.pk if team.scrub else None,
                all_items_spoken=attestation.all_items_spoken,
                everyone_present=attestation.everyone_present,
                interruptions=attestation.interruptions,
            ),
            context=context,
            now=time_out.ended_at,
        )
    return time_out


def invalidate_time_outs(
    case: Case,
    *,
    actor: User,
    reason: str,
    now: datetime.datetime,
    context: RequestContext = NO_CONTEXT,
) -> list[TimeOut]:
    """Make every Time Out of the locked ``case`` that holds or is in progress stale, with
    ``reason`` (a new surgeon, a Stop called): one event each. Procedure steps then wait for a
    repeated Time Out (``TimeOutGate``)."""
    stale = list(case.time_outs.filter(invalidated_at__isnull=True).order_by("started_at", "pk"))
    for time_out in stale:
        time_out.invalidated_at, time_out.invalidated_by = now, actor
        time_out.invalidated_reason = reason
        time_out.save(update_fields=["invalidated_at", "invalidated_by", "invalidated_reason"])
        append_event(
            case,
            actor=actor,
            action=AuditAction.TIME_OUT_INVALIDATED,
            after=payloads.time_out_invalidated(time_out=time_out.pk, reason=reason),
            context=context,
            now=now,
        )
    return stale


def _open_case(case_id: int) -> Case:
    case = lock_case(case_id)
    if case.is_locked:
        raise CaseLocked(locked_message(case))
    return case


def _time_out(case: Case, time_out_id: int) -> TimeOut:
    time_out = case.time_outs.filter(pk=time_out_id).first()
    if time_out is None:
        raise NotFound("That Time Out is not part of this case. Reload the page.")
    return time_out


def _check_in_progress(time_out: TimeOut) -> None:
    if time_out.invalidated_at is not None:
        raise TimeOutNeeded(
            f"This {time_out.label} no longer holds ({time_out.invalidated_reason}). "
            "Start it again with the team."
        )
    if time_out.ended_at is not None:
        raise RuleViolation(f"This {time_out.label} has ended.")


def _check_side(case: Case, side: str, *, second_side: str, case_holds: bool) -> None:
    if side not in case.sides() or len(case.sides()) < 2:
        raise RuleViolation("A side Time Out is for a bilateral case, on one of its sides.")
    if not case_holds:
        raise TimeOutNeeded("The case's own Time Out comes first, and must hold.")
    if not second_side:
        raise RuleViolation(
            "The side Time Out comes before the second side: no side's procedure step is "
            "recorded yet, so the case's Time Out covers the first."
        )
    if side != second_side:
        raise RuleViolation(
            f"The {Side(side).label.lower()} side was operated first, under the case's Time "
            f"Out: the side Time Out is for the {Side(second_side).label.lower()} side."
        )


def _check_items_recorded(case: Case) -> None:
    pending = case.steps.filter(phase=Phase.TIME_OUT, required=True, status=StepStatus.PENDING)
    first = pending.order_by("position").first()
    if first is not None:
        raise RuleViolation(
            f"“{first.label}” is not confirmed yet: every required item is read aloud and "
            "confirmed before the Time Out ends."
        )


def _check_team(team: TimeOutTeam) -> None:
    """Each place held by an active person of the staff list who holds that role, and nobody
    in two places: the WHO Time Out needs each role's own voice (the surgeon states the
    critical steps, the anaesthetist the patient's concerns, the nurse the sterility)."""
    seen: set[int] = set()
    for field, role, person in team.members():
        label = StepRole(role).label.lower()
        if person is None:
            if field == "scrub":
                continue
            raise RuleViolation(f"Pick the {label} present from the staff list.")
        if person.pk in seen:
            raise RuleViolation(f"{display_name(person)} is picked twice: one role each.")
        seen.add(person.pk)
        if not (person.is_active and person.has_perm("checklists.record_step")):
            raise RuleViolation(f"{display_name(person)} is not on the staff list.")
        if not holds_role(person, role):
            raise RuleViolation(
                f"{display_name(person)} is on the staff list, but not as the {label}."
            )


def _check_attestation(attestation: Attestation) -> None:
    if not 0 <= attestation.interruptions <= MOST_INTERRUPTIONS:
        raise RuleViolation(f"Interruptions: a count from 0 to {MOST_INTERRUPTIONS}.")


def _as_ended(time_out: TimeOut) -> tuple:
    return (
        time_out.surgeon_id,
        time_out.anaesthetist_id,
        time_out.circulating_nurse_id,
        time_out.scrub_id,
        time_out.all_items_spoken,
        time_out.everyone_present,
        time_out.interruptions,
    )


def _as_sent(team: TimeOutTeam, attestation: Attestation) -> tuple:
    return (
        *(person.pk if person else None for _field, _role, person in team.members()),
        attestation.all_items_spoken,
        attestation.everyone_present,
        attestation.interruptions,
    )
