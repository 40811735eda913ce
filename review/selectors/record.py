"""The whole record of one case, as a reviewer files it: phases, team, amendments, timeline."""

import datetime
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, cast

from django.contrib.auth.models import User
from django.shortcuts import get_object_or_404

from accounts.people import display_name
from checklists import payloads
from checklists.audit import Verdict, verify_case
from checklists.choices import (
    SIGNED_STATUSES,
    AuditAction,
    CaseStatus,
    ImplantStatus,
    Side,
    SignatureMeaning,
    StepStatus,
)
from checklists.compliance import StepFacts, compliance_of
from checklists.models import (
    TEAM_ROLES,
    AuditEvent,
    Case,
    CaseQuality,
    CaseStep,
    Concern,
    DebriefAction,
    Implant,
    RecordAccess,
    SideDisagreement,
    Signature,
    TimeOut,
)
from checklists.quality import StepTime, StopFacts, TimeOutFacts, quality_of
from procedures.choices import Phase, StepRole
from review.selectors.cases import with_compliance

if TYPE_CHECKING:
    from review.selectors.cases import CaseWithCompliance


@dataclass(frozen=True)
class Amendment:
    """One change to a signed case: the values before (as signed) and after, and why."""

    seq: int
    step: CaseStep | None
    step_label: str
    before: payloads.StepState
    after: payloads.StepAmended
    reason: str
    by: str
    at: datetime.datetime

    @property
    def original(self) -> str:
        return describe_state(self.before)

    @property
    def amended(self) -> str:
        return describe_state(self.after)


@dataclass(frozen=True)
class RecordStep:
    step: CaseStep
    amendments: list[Amendment]


@dataclass(frozen=True)
class RecordPhase:
    phase: str
    label: str
    steps: list[RecordStep]

    @property
    def recorded(self) -> int:
        """The steps recorded and complete: a Stop is not done (as on the checklist)."""
        return sum(entry.step.is_complete for entry in self.steps)

    @property
    def total(self) -> int:
        return len(self.steps)


@dataclass(frozen=True)
class TeamMember:
    name: str
    roles: list[str]
    steps_recorded: int


@dataclass(frozen=True)
class TimelineEntry:
    seq: int
    at: datetime.datetime
    by: str
    action: str
    action_label: str
    step_label: str
    detail: str


@dataclass(frozen=True)
class CaseTime:
    label: str
    at: datetime.datetime | None


@dataclass(frozen=True)
class CaseRecord:
    """A case as a reviewer files it. ``case`` carries the compliance annotations."""

    case: Case
    phases: list[RecordPhase]
    team: list[TeamMember]
    implants: list[Implant]
    signatures: list[Signature]
    concerns: list[Concern]  # the Stops the team called, oldest first
    side_disagreements: list[SideDisagreement]  # sides seen that were not the case's, oldest first
    debrief_actions: list[DebriefAction]  # agreed at the debrief, by due day
    time_outs: list[TimeOut]  # read aloud with the team, in the order started
    # How well the checks were done: as stored when the case closed, or (an open case, or one
    # closed before the facts were kept and not yet rebuilt) so far, from the rows read.
    quality: CaseQuality
    amendments: list[Amendment]
    timeline: list[TimelineEntry]
    chain: Verdict

    @property
    def has_implant_card(self) -> bool:
        """Signed out with an implant in the patient: the card to hand them exists."""
        return self.case.status in SIGNED_STATUSES and any(
            implant.status == ImplantStatus.IMPLANTED for implant in self.implants
        )

    @property
    def times(self) -> list[CaseTime]:
        case = self.case
        return [
            CaseTime("Scheduled start", case.scheduled_start),
            CaseTime("In room (first step recorded)", case.started_at),
            CaseTime("Time Out complete", case.time_out_at),
            CaseTime("Incision", case.incision_at),
            CaseTime("Signed out", case.completed_at),
            CaseTime("Reviewed", case.reviewed_at),
            CaseTime("Cancelled", case.cancelled_at),
        ]

    @property
    def duration_minutes(self) -> int | None:
        if self.case.started_at and self.case.completed_at:
            return round((self.case.completed_at - self.case.started_at).total_seconds() / 60)
        return None

    @property
    def can_be_reviewed(self) -> bool:
        return self.case.status == CaseStatus.COMPLETED


def case_record(*, case_id: int) -> CaseRecord:
    """The whole record of one case, or a 404. Eight queries, whatever the case's size: the
    case (with its quality facts), its steps, implants, signatures, Stops called, side
    disagreements, debrief actions, Time Outs and audit events. The
    audit verdict is ``checklists.audit.verify_case`` on those rows, the check ``verify_audit``
    makes of every case: the chain proven, then replayed against the rows."""
    cases = Case.objects.select_related(
        "procedure", "procedure_version", "surgeon", "reviewed_by", "created_by", "quality"
    )
    case = get_object_or_404(with_compliance(cases), pk=case_id)
    related = ("recorded_by", "stop_overridden_by")
    steps = list(case.steps.select_related(*related).order_by("position"))
    related = ("added_by", "read_back_by")
    implants = list(case.implants.select_related(*related).order_by("side", "position"))
    signatures = list(
        case.signatures.select_related("signer", "amended_step").order_by("signed_at", "pk")
    )
    concerns = list(case.concerns.select_related("raised_by", "resolved_by"))
    side_disagreements = list(case.side_disagreements.select_related("raised_by", "resolved_by"))
    debrief_actions = list(case.debrief_actions.select_related("owner", "raised_by", "closed_by"))
    people = ("started_by", "ended_by", "invalidated_by", *TEAM_ROLES)
    time_outs = list(case.time_outs.select_related(*people).order_by("started_at", "pk"))
    events = list(AuditEvent.objects.filter(case=case).select_related("actor").order_by("seq"))
    chain = verify_case(
        case,
        events=events,
        steps=steps,
        implants=implants,
        signatures=signatures,
        concerns=concerns,
        actions=debrief_actions,
        sides=side_disagreements,
        time_outs=time_outs,
    )
    if case.is_open:
        _show_compliance_so_far(case, steps)

    steps_by_id = {step.pk: step for step in steps}
    amendments = [
        _amendment(event, steps_by_id.get(event.step_id))
        for event in events
        if event.action == AuditAction.STEP_AMENDED
    ]
    return CaseRecord(
        case=case,
        phases=_record_phases(steps, amendments),
        team=_team(case, steps, implants, signatures),
        implants=implants,
        signatures=signatures,
        concerns=concerns,
        side_disagreements=side_disagreements,
        debrief_actions=debrief_actions,
        time_outs=time_outs,
        quality=_quality(case, steps=steps, time_outs=time_outs, concerns=concerns),
        amendments=amendments,
        timeline=[_timeline_entry(event, steps_by_id.get(event.step_id)) for event in events],
        chain=chain,
    )


def case_outline(*, case_id: int) -> Case:
    """A case as the emergency-access page shows it before a reason is given: its number,
    procedure, room and time, never its patient (the template shows no identity). A 404 if
    there is no such case."""
    return get_object_or_404(Case.objects.select_related("procedure", "surgeon"), pk=case_id)


# How many of a case's views its record lists; the admin's access log holds them all.
VIEWS_SHOWN = 50


@dataclass(frozen=True)
class RecordViews:
    """Who saw a case's patient identity, newest first: at most ``VIEWS_SHOWN`` entries."""

    entries: list[RecordAccess]
    more: bool  # older entries exist beyond those shown


def record_views(*, case_id: int, limit: int = VIEWS_SHOWN) -> RecordViews:
    """The case's access log, newest first, with each person: one query, whatever its length."""
    accesses = RecordAccess.objects.filter(case_id=case_id).select_related("user", "device")
    entries = list(accesses.order_by("-at", "-pk")[: limit + 1])
    return RecordViews(entries=entries[:limit], more=len(entries) > limit)


def _show_compliance_so_far(case: "CaseWithCompliance", steps: list[CaseStep]) -> None:
    """An open case has no stored compliance yet (the workflow stores it when the case
    closes): its record shows the facts as its steps stand, by the same definition, from the
    rows already read. Set on this instance only, for the page; nothing is saved."""
    facts = compliance_of(StepFacts.of(step) for step in steps)
    case.time_out_at, case.incision_at = facts.time_out_at, facts.incision_at
    case.required_complete = facts.required_complete
    case.time_out_before_incision = facts.time_out_before_incision


def _quality(
    case: Case, *, steps: list[CaseStep], time_outs: list[TimeOut], concerns: list[Concern]
) -> CaseQuality:
    """The stored facts (read with the case), or the facts so far by the same definition from
    the rows already read, unsaved: no query of its own."""
    stored = getattr(case, "quality", None)  # a reverse one-to-one: absent, not None
    if stored is not None:
        return stored
    facts = quality_of(
        time_outs=[TimeOutFacts.of(time_out) for time_out in time_outs],
        stops=[StopFacts.of(concern) for concern in concerns],
        steps=[StepTime(s.phase, s.recorded_at) for s in steps if s.recorded_at is not None],
        closed_at=case.completed_at or case.cancelled_at,
    )
    return CaseQuality(case=case, **asdict(facts))


def _record_phases(steps: list[CaseStep], amendments: list[Amendment]) -> list[RecordPhase]:
    by_step: dict[int, list[Amendment]] = {}
    for amendment in amendments:
        if amendment.step is not None:
            by_step.setdefault(amendment.step.pk, []).append(amendment)
    phases: dict[str, list[RecordStep]] = {phase: [] for phase in Phase.values}
    for step in steps:
        entry = RecordStep(step=step, amendments=by_step.get(step.pk, []))
        phases.setdefault(step.phase, []).append(entry)
    return [
        RecordPhase(phase=phase, label=label, steps=phases[phase])
        for phase, label in Phase.choices
        if phases[phase]
    ]


def _team(
    case: Case, steps: list[CaseStep], implants: list[Implant], signatures: list[Signature]
) -> list[TeamMember]:
    """Everyone who took part, with the roles they attested steps in and those they recorded
    steps for without holding them ("Recorded for the anaesthetist"; surgeon of record first),
    from the rows already read: no query of its own."""
    roles_of: dict[int, list[str]] = {case.surgeon_id: ["Surgeon of record"]}
    people: dict[int, User] = {case.surgeon_id: case.surgeon}
    counts: dict[int, int] = {}
    for step in steps:
        if step.recorded_by_id is None or step.recorded_by is None:  # read with the steps
            continue
        people[step.recorded_by_id] = step.recorded_by
        counts[step.recorded_by_id] = counts.get(step.recorded_by_id, 0) + 1
        role = StepRole(step.role).label
        label = f"Recorded for the {role.lower()}" if step.recorded_for else role
        if label not in roles_of.setdefault(step.recorded_by_id, []):
            roles_of[step.recorded_by_id].append(label)
    for implant in implants:
        people.setdefault(implant.added_by_id, implant.added_by)
        roles_of.setdefault(implant.added_by_id, [])
    for signature in signatures:
        people.setdefault(signature.signer_id, signature.signer)
        label = f"Signed: {signature.get_meaning_display().lower()}"
        if label not in roles_of.setdefault(signature.signer_id, []):
            roles_of[signature.signer_id].append(label)
    return [
        TeamMember(
            name=display_name(people[pk]),
            roles=roles_of[pk] or ["Implant log"],
            steps_recorded=counts.get(pk, 0),
        )
        for pk in roles_of
    ]


def _amendment(event: AuditEvent, step: CaseStep | None) -> Amendment:
    after = cast(payloads.StepAmended, event.after or {})
    return Amendment(
        seq=event.seq,
        step=step,
        step_label=step.label if step else "(step removed)",
        before=cast(payloads.StepState, event.before or {}),
        after=after,
        reason=after.get("reason", ""),
        by=display_name(event.actor),
        at=event.created_at,
    )


def _timeline_entry(event: AuditEvent, step: CaseStep | None) -> TimelineEntry:
    return TimelineEntry(
        seq=event.seq,
        at=event.created_at,
        by=display_name(event.actor),
        action=event.action,
        action_label=event.get_action_display(),
        step_label=step.label if step else "",
        detail=_event_detail(event),
    )


IMPLANT_ACTIONS = (
    AuditAction.IMPLANT_ADDED,
    AuditAction.IMPLANT_REMOVED,
    AuditAction.IMPLANT_WASTED,
    AuditAction.IMPLANT_EXPLANTED,
)


def _event_detail(event: AuditEvent) -> str:
    """What changed, in words. Reads the payloads as ``checklists.payloads`` defines them, but
    leniently (``get``): an event altered behind the application's back must still show, the
    chain's verdict saying it was altered. Audit payloads hold no patient identity."""
    before, after = event.before or {}, event.after or {}
    action = event.action
    if action in (AuditAction.STEP_RECORDED, AuditAction.STEP_AMENDED):
        old, new = cast(payloads.StepState, before), cast(payloads.StepAmended, after)
        change = f"{describe_state(old)} → {describe_state(new)}"
        if new.get("recorded_for") in StepRole.values:
            change += f" (recorded for the {StepRole(new['recorded_for']).label.lower()})"
        return f"{change}. Reason: {new['reason']}" if new.get("reason") else change
    if action in IMPLANT_ACTIONS:
        logged = after if action == AuditAction.IMPLANT_ADDED else before
        implant = cast(payloads.LoggedImplant, logged)
        side = Side(implant["side"]).label if implant.get("side") in Side.values else ""
        words = [implant.get("manufacturer"), implant.get("product"), implant.get("size")]
        text = " ".join(filter(None, words)) or implant.get("gtin", "")
        detail = f"{text}, {side.lower()} side" if side else text
        if implant.get("serial") and action != AuditAction.IMPLANT_ADDED:
            detail += f", serial {implant['serial']}"
        outcome = cast(payloads.ImplantExplanted, after)
        if action == AuditAction.IMPLANT_EXPLANTED and outcome.get("explanted_on"):
            detail += f". Explanted on {outcome['explanted_on']}"
        if action != AuditAction.IMPLANT_ADDED and outcome.get("reason"):
            detail += f". Reason: {outcome['reason']}"
        return detail
    if action == AuditAction.IMPLANT_READ_BACK:
        read_back = cast(payloads.ImplantReadBack, after)
        side = read_back.get("side")
        where = f"{Side(side).label.lower()} side, " if side in Side.values else ""
        return f"Read aloud before opening: {where}implant {read_back.get('position', '')}"
    if action == AuditAction.STOP_OVERRIDDEN:
        answer, override = cast(payloads.StepState, before), cast(payloads.StopOverridden, after)
        expected = override.get("expected_answer", "")
        return (
            f"Stop overridden: {describe_state(answer)}, expected {expected}. "
            f"Reason: {override.get('reason', '')}"
        )
    if action == AuditAction.SIGNED_OUT:
        signature = cast(payloads.SignatureState, after)
        return f"{signature.get('printed_name', '')}: {signature.get('meaning', '')}"
    if action == AuditAction.SIGNATURE_REFUSED:
        meaning = cast(payloads.SignatureRefused, after).get("meaning", "")
        label = SignatureMeaning(meaning).label if meaning in SignatureMeaning.values else meaning
        return f"Wrong password; not signed ({label.lower()})"
    if action == AuditAction.REVIEWED:
        return cast(payloads.Reviewed, after).get("comment") or "No comment"
    if action == AuditAction.CANCELLED:
        return cast(payloads.Cancelled, after).get("reason", "")
    if action == AuditAction.CONCERN_RAISED:
        return f"Stop called: {cast(payloads.ConcernRaised, after).get('reason', '')}"
    if action == AuditAction.CONCERN_RESOLVED:
        return f"Stop resolved: {cast(payloads.ConcernResolved, after).get('resolution', '')}"
    if action == AuditAction.SIDE_DISAGREEMENT_RAISED:
        raised = cast(payloads.SideDisagreementRaised, after)
        return (
            f"Sides disagree: {raised.get('place', '')}: {raised.get('side_seen', '')} seen, "
            f"the case is {raised.get('case_side', '')}"
        )
    if action == AuditAction.SIDE_DISAGREEMENT_RESOLVED:
        resolved = cast(payloads.SideDisagreementResolved, after)
        return f"Side disagreement resolved: {resolved.get('resolution', '')}"
    if action == AuditAction.CASE_RESCHEDULED:
        moves = [cast(payloads.Scheduling, kept) for kept in (before, after)]
        return " → ".join(f"{m.get('room', '')}, {m.get('scheduled_start', '')}" for m in moves)
    if action == AuditAction.CASE_CREATED:
        created = cast(payloads.CaseCreated, after)
        return f"{created.get('steps', 0)} steps, {created.get('room', '')}"
    return ""


def describe_state(state: payloads.StepState) -> str:
    """A step's state from the audit trail, as a reviewer reads it."""
    status = state.get("status", "")
    if status == StepStatus.NOT_APPLICABLE:
        text = f"Not applicable ({state.get('na_reason', '')})"
    elif status == StepStatus.DONE:
        text = f"Done: {state['value']}" if state.get("value") else "Done"
    elif status == StepStatus.PENDING:
        text = "Pending"
    else:
        text = status or "—"
    return f"{text}; note: {state['note']}" if state.get("note") else text
