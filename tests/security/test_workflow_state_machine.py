"""A stateful model of the workflow: random sequences of changes by random people, with the
rules checked after every one of them.

Each example schedules one case of a small procedure that has every kind of rule (a hard
stop, a number with bounds, a choice, implants per side, two yes/no steps that must be yes, one
of them optional in the Sign In, a Time Out that gates the later phases), then Hypothesis
applies up to ``STEPS`` rules: record (valid or invalid values, fresh or stale revisions), mark
not applicable (with or without a reason), answer a step other than it expects (a Stop), undo
(with or without a reason: a step that gates others needs one), add and remove implants,
override a Stop (with or without a reason), sign out (right or wrong password), amend, review
and cancel, each by a random persona, plus "work through", a diligent nurse ticking the next
pending steps correctly, so that many examples reach sign-out, amendment and review.

Every rule goes through ``attempt``, which holds each call to account: an accepted change
wrote exactly one audit event and moved the case's version by one (or, for a repeated
request, nothing at all); a refused one changed nothing and wrote nothing, except a wrong
signature password, which writes exactly one SIGNATURE_REFUSED event and nothing else. The
role that may do a thing is predicted, and so is "a locked case refuses". After every rule:

- a completed or reviewed case misses nothing ``workflow.missing_for_sign_out`` asks for
  (checked at the signature too, and kept by amendments);
- a locked case is what it was when it locked, plus its amendments' recorded changes;
- no step is recorded behind a pending hard stop, nor in a phase after a gating phase with a
  required step pending; every done answer is within its bounds and options; a done implant
  step has an implant on its side;
- a step is recorded only when nothing holds it back (a pending hard stop before it, a pending
  gating step or a Stop in an earlier phase: the rule written out again here, independently of
  ``CaseStep.is_gated_by``), and a refusal for a gate names one that does;
- an override stands only on an answer other than the expected one, always with its reason;
- the audit chain verifies, and replayed it gives the live rows (``verify_audit``); the
  case's version counts its events (refusals aside);
- a closed case's stored compliance facts are those its steps give now (an open case's are
  unknown), and it is marked amended exactly when it has been;
- the dashboard's day-by-day counts (``checklists.summary``) are a recount of the case as it
  stands, whatever changed it;
- the status only moves forward: scheduled → in progress → completed → reviewed, or to
  cancelled from the first two.

Each example runs in a savepoint that its teardown rolls back (a fresh case each time; the
personas and the procedure are made once per test).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from checklists import workflow
from checklists.audit import verify_audit
from checklists.choices import AuditAction, CaseStatus, Side, StepStatus
from checklists.compliance import StepFacts, compliance_of
from checklists.errors import (
    CaseLocked,
    NotPermitted,
    SignatureLocked,
    SignatureRefused,
    StepGated,
    WorkflowError,
)
from checklists.models import AuditEvent, Case, CaseStep
from procedures.choices import PHASE_ORDER, StepKind
from tests.checklists.counts import kept, recount
from tests.conftest import PASSWORD, make_case, make_procedure, record
from tests.examples import examples
from tests.security.conftest import (
    HARD_STOP,
    PERSONAS,
    STEPS,
    complete,
    implant_entry,
    make_people,
    make_ready,
)

# 200 examples of up to 20 steps. As the workflow grew (Time Outs, sides, the summary rows),
# 500 took 8.5 minutes of CI's SQLite pass, a quarter of it; 300 still took the longest of
# any test (447 s with the machine shared). 200 take some 2 minutes of CPU on SQLite, and the
# PostgreSQL pass tries a quarter; each CI run draws new examples.
EXAMPLES = 200
STEPS_PER_EXAMPLE = 20

RECORDERS = {"nurse", "scrub", "anaesthetist", "surgeon"}  # record, implants, cancel
SIGNERS = {"surgeon"}
REVIEWERS = {"reviewer", "administrator"}
ORDER = {
    CaseStatus.SCHEDULED: 0,
    CaseStatus.IN_PROGRESS: 1,
    CaseStatus.COMPLETED: 2,
    CaseStatus.REVIEWED: 3,
}
VALUES = ["", "3", "4", "5", "4.5", "2.99", "5.01", "abc", "NaN", "1e3", "-4", "yes", "no"]
VALUES += ["maybe", "Lateral", "Posterior", "lateral", " Lateral "]
VALID = {StepKind.NUMBER: "4", StepKind.YES_NO: "yes", StepKind.CHOICE: "Lateral"}

OPEN = (CaseStatus.SCHEDULED, CaseStatus.IN_PROGRESS)

# The shared procedure, with an optional consent that must be yes (a Stop otherwise) and a
# Time Out step that gates the later phases (``schedule`` records it before the shared builders
# that ready a case, which do not know it).
CONSENT, TEAM = "Consent signed", "Team introduced"
MACHINE_STEPS = (
    STEPS[0],
    {"title": CONSENT, "phase": "sign_in", "kind": "yes_no", "expected_answer": "yes",
     "required": False},
    {"title": TEAM, "phase": "time_out", "gates_later_phases": True},
    *STEPS[1:],
)  # fmt: skip


def mostly(common: set[str]) -> st.SearchStrategy[str]:
    """``common`` personas three times in four, anyone else otherwise."""
    return st.sampled_from(sorted(common) * (3 * len(PERSONAS) // len(common)) + list(PERSONAS))


step_index = st.integers(min_value=0, max_value=8)  # a bilateral case has 9 steps
revision_offset = st.sampled_from([0, 0, 0, 0, -1, 1])
reasons = st.sampled_from(["", "   ", "Not needed here", "Measured again"])


STATE_FIELDS = ("status", "value", "note", "na_reason", "recorded_by")
ATTRIBUTES = {"recorded_by": "recorded_by_id"}


@dataclass(frozen=True)
class Observed:
    """The case as the database holds it, read in four queries."""

    case: Case
    steps: tuple[CaseStep, ...]  # by position
    implants: tuple[tuple, ...]
    events: tuple[AuditEvent, ...]  # by seq

    @property
    def status(self) -> str:
        return self.case.status

    @property
    def state(self) -> tuple:
        """Everything a change may move (the signature-refusal check slices it: keep the
        order: status, version, then the rest)."""
        case = self.case
        steps = tuple(sorted((pk, *fields.values()) for pk, fields in self.step_states().items()))
        revisions = tuple(step.revision for step in self.steps)
        overrides = tuple((s.stop_overridden_by_id, s.stop_override_reason) for s in self.steps)
        rest = (case.audit_seq, len(self.events), steps, revisions, self.implants, overrides)
        return (case.status, case.version, *rest)

    def step_states(self) -> dict[int, dict[str, Any]]:
        """Each step's answer, keyed as in an audit event's ``after``."""
        return {
            step.pk: {name: getattr(step, ATTRIBUTES.get(name, name)) for name in STATE_FIELDS}
            for step in self.steps
        }


class WorkflowMachine(RuleBasedStateMachine):
    def __init__(self, people: dict, procedure: Any) -> None:
        super().__init__()
        self.people, self.procedure = people, procedure
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        self.case: Case | None = None
        self.statuses: list[str] = []
        self.locked_at_seq: int | None = None
        self.locked_steps: dict[int, dict[str, Any]] = {}
        self.locked_implants: tuple = ()
        self._observed: Observed | None = None

    def teardown(self) -> None:
        try:
            if self.case is not None:
                self.the_audit_chain_verifies_replays_into_the_rows_and_counts_every_change()
                self.the_dashboards_counts_are_a_recount_of_the_case()
        finally:
            transaction.set_rollback(True)
            self._savepoint.__exit__(None, None, None)

    # --- the case --------------------------------------------------------------------------

    @initialize(
        laterality=st.sampled_from(["bilateral", "bilateral", "left"]),
        start=st.sampled_from(["scheduled", "started", "ready", "signed"]),
    )
    def schedule(self, laterality: str, start: str) -> None:
        """A new case; half the examples start it further on (through the workflow too), so
        that signing, amending, reviewing and the locks get their share of the steps."""
        nurse, surgeon = self.people["nurse"], self.people["surgeon"]
        self.case = make_case(self.procedure, actor=nurse, surgeon=surgeon, laterality=laterality)
        self.statuses = [self.case.status]
        if start != "scheduled":
            record(self.case, HARD_STOP, nurse)
        if start in ("ready", "signed"):  # "started" leaves the Time Out to do: a gate
            record(self.case, TEAM, nurse)
        if start == "ready":
            make_ready(self.case, nurse, surgeon)
        elif start == "signed":
            complete(self.case, nurse, surgeon)
        self.changed()
        self.note_status(self.observe().status)

    def observe(self) -> Observed:
        """The case now; read once per rule and shared by the invariants that follow it."""
        if self._observed is None:
            case = Case.objects.get(pk=self.case.pk)
            self._observed = Observed(
                case=case,
                steps=tuple(CaseStep.objects.filter(case=case).order_by("position")),
                implants=tuple(
                    case.implants.order_by("pk").values_list("pk", "side", "product", "lot")
                ),
                events=tuple(AuditEvent.objects.filter(case=case).order_by("seq")),
            )
        return self._observed

    def changed(self) -> None:
        self._observed = None

    def steps(self) -> tuple[CaseStep, ...]:
        return self.observe().steps

    def step(self, index: int) -> CaseStep:
        steps = self.steps()
        return steps[index % len(steps)]

    def attempt(self, persona: str, allowed: set[str], call: Any, **kwargs: Any) -> Any:
        """Call a workflow function as ``persona`` and hold the call to account."""
        before = self.observe()
        try:
            result, refusal = call(actor=self.people[persona], **kwargs), None
        except WorkflowError as error:
            result, refusal = None, error
        self.changed()
        after = self.observe()
        written = len(after.events) - len(before.events)
        event(f"{call.__name__}: {type(refusal).__name__ if refusal else 'accepted'}")
        if persona not in allowed:
            assert isinstance(refusal, NotPermitted), f"{persona} was let through"
        if refusal is None:
            # One event per change; a side seen that is not the case's side (an implant's, on
            # this case) also raises the side disagreement, with its own event (workflow.sides).
            new = after.events[len(before.events) :]
            raised = [e for e in new if e.action == AuditAction.SIDE_DISAGREEMENT_RAISED]
            assert len(raised) <= 1 and written - len(raised) in (0, 1), f"{written} events"
            assert after.case.version - before.case.version == written, "version ≠ events"
            assert after.case.audit_seq - before.case.audit_seq == written
            if written == 0:
                assert after.state == before.state, "a change without an audit event"
            else:
                assert after.events[-1].actor_id == self.people[persona].pk
        elif isinstance(refusal, SignatureRefused) and not isinstance(refusal, SignatureLocked):
            assert written == 1, "a wrong signature password is audited, once"
            assert after.events[-1].action == AuditAction.SIGNATURE_REFUSED
            # ... and nothing else moves: not the status, the version, a step or an implant.
            assert after.state[:2] + after.state[4:] == before.state[:2] + before.state[4:]
        else:
            assert after.state == before.state, f"refused ({refusal.message}), yet it changed"
        self.note_status(after.status)
        return result, refusal, before

    def note_status(self, status: str) -> None:
        if status != self.statuses[-1]:
            self.statuses.append(status)
        if status in (CaseStatus.COMPLETED, CaseStatus.CANCELLED) and self.locked_at_seq is None:
            observed = self.observe()
            self.locked_at_seq = observed.case.audit_seq
            self.locked_steps = observed.step_states()
            self.locked_implants = observed.implants
            event(f"locked: {status}")

    def is_open(self) -> bool:
        return self.statuses[-1] in (CaseStatus.SCHEDULED, CaseStatus.IN_PROGRESS)

    # --- recording ---------------------------------------------------------------------------

    def record_step(
        self,
        persona: str,
        step: CaseStep,
        answer: workflow.Answer,
        offset: int,
        reason: str = "",
    ):
        result, refusal, before = self.attempt(
            persona,
            RECORDERS,
            workflow.record_step,
            case_id=self.case.pk,
            step_id=step.pk,
            answer=answer,
            revision=step.revision + offset,
            reason=reason,
        )
        if persona in RECORDERS and before.status not in OPEN:
            assert isinstance(refusal, CaseLocked), "a locked case took a change"
        held = held_back(step, before.steps)
        if isinstance(refusal, StepGated):
            assert held, f"{step.label} refused for a gate that holds nothing: {refusal.message}"
            event(f"gated: {refusal.blocking.gate}")
        elif refusal is None and answer.status != StepStatus.PENDING:
            changed = len(self.observe().events) > len(before.events)
            assert not (changed and held), f"{step.label} recorded while held back by {held}"
        return result, refusal

    @rule(
        persona=mostly(RECORDERS),
        index=step_index,
        value=st.sampled_from(VALUES),
        offset=revision_offset,
    )
    def record_done(self, persona: str, index: int, value: str, offset: int) -> None:
        answer = workflow.Answer(status=StepStatus.DONE, value=value)
        self.record_step(persona, self.step(index), answer, offset)

    @rule(
        persona=mostly(RECORDERS),
        pick=st.integers(min_value=0, max_value=3),
        not_applicable=st.booleans(),
        offset=revision_offset,
    )
    def answer_other_than_expected(
        self, persona: str, pick: int, not_applicable: bool, offset: int
    ) -> None:
        """Consent not signed, counts not correct: a Stop, as often as it takes to test it."""
        expecting = [step for step in self.steps() if step.expected_answer]
        answer = (
            workflow.Answer(status=StepStatus.NOT_APPLICABLE, na_reason="Not done")
            if not_applicable
            else workflow.Answer(status=StepStatus.DONE, value="no")
        )
        self.record_step(persona, expecting[pick % len(expecting)], answer, offset)

    @rule(persona=mostly(RECORDERS), index=step_index, reason=reasons, offset=revision_offset)
    def mark_not_applicable(self, persona: str, index: int, reason: str, offset: int) -> None:
        answer = workflow.Answer(status=StepStatus.NOT_APPLICABLE, na_reason=reason)
        self.record_step(persona, self.step(index), answer, offset)

    @rule(persona=mostly(RECORDERS), index=step_index, offset=revision_offset, reason=reasons)
    def undo(self, persona: str, index: int, offset: int, reason: str) -> None:
        step = self.step(index)
        answer = workflow.Answer(status=StepStatus.PENDING)
        _, refusal = self.record_step(persona, step, answer, offset, reason)
        undone = self.step(index)
        if step.gates_others and not reason.strip():
            # Only a repeated request (already pending) goes through without a reason.
            assert refusal is not None or undone.status == StepStatus.PENDING == step.status
        if refusal is None and undone.revision != step.revision:
            last = AuditEvent.objects.filter(step=step).order_by("-seq").first()
            assert last.after.get("reason", "") == reason.strip()

    @precondition(lambda self: self.is_open())
    @rule(persona=st.sampled_from(sorted(RECORDERS)), count=st.sampled_from([1, 2, 9, 9, 9]))
    def work_through(self, persona: str, count: int) -> None:
        """A diligent nurse: the next pending steps, correctly, implants logged first."""
        for step in [step for step in self.steps() if step.status == StepStatus.PENDING][:count]:
            if step.kind == StepKind.IMPLANTS and not self.case.implants.filter(side=step.side):
                self.add(persona, implant_entry(step.side))
            value = VALID.get(step.kind, "")
            answer = workflow.Answer(status=StepStatus.DONE, value=value)
            self.record_step(persona, step, answer, 0)

    @precondition(lambda self: any(departs(step) for step in self.steps()))
    @rule(
        persona=mostly(SIGNERS),
        index=step_index,
        on_a_stop=st.sampled_from([True, True, True, False]),
        reason=st.sampled_from(["Consent confirmed by phone", "Recounted: correct", "", "  "]),
        offset=revision_offset,
    )
    def override_stop(
        self, persona: str, index: int, on_a_stop: bool, reason: str, offset: int
    ) -> None:
        """Mostly on a row that shows a Stop (where the control is), else on any row."""
        stops = [step for step in self.steps() if departs(step)]
        step = stops[index % len(stops)] if on_a_stop else self.step(index)
        _, refusal, before = self.attempt(
            persona,
            SIGNERS,
            workflow.override_stop,
            case_id=self.case.pk,
            step_id=step.pk,
            revision=step.revision + offset,
            reason=reason,
        )
        if persona in SIGNERS and before.status not in OPEN and reason.strip():
            assert isinstance(refusal, CaseLocked), "a locked case took an override"
        if refusal is None and len(self.observe().events) > len(before.events):
            assert departs(step), f"{step.label} overridden, but it was no Stop"
            assert self.observe().events[-1].action == AuditAction.STOP_OVERRIDDEN
            event("stop overridden")

    # --- implants ----------------------------------------------------------------------------

    def add(self, persona: str, entry: workflow.ImplantEntry) -> Any:
        result, refusal, before = self.attempt(
            persona, RECORDERS, workflow.add_implant, case_id=self.case.pk, entry=entry
        )
        if persona in RECORDERS and before.status not in OPEN:
            assert isinstance(refusal, CaseLocked), "a locked case took an implant"
        return result, refusal

    @rule(
        persona=mostly(RECORDERS),
        side=st.sampled_from([Side.LEFT, Side.RIGHT]),
        expired=st.booleans(),
        override=st.sampled_from(["", "Only size in stock"]),
    )
    def add_implant(self, persona: str, side: str, expired: bool, override: str) -> None:
        expiry = datetime.date(2020, 1, 1) if expired else datetime.date(2099, 12, 31)
        entry = implant_entry(side, expiry=expiry, expiry_override_reason=override)
        _, refusal = self.add(persona, entry)
        if expired and persona not in SIGNERS:
            assert refusal is not None, "an expired implant accepted without a surgeon"

    @rule(persona=mostly(RECORDERS), pick=st.integers(min_value=0, max_value=5), reason=reasons)
    def remove_implant(self, persona: str, pick: int, reason: str) -> None:
        implants = [pk for pk, *_ in self.observe().implants]
        implant_id = implants[pick % len(implants)] if implants else 10**9
        _, refusal, before = self.attempt(
            persona,
            RECORDERS,
            workflow.remove_implant,
            case_id=self.case.pk,
            implant_id=implant_id,
            reason=reason,
        )
        if persona in RECORDERS and before.status not in OPEN and reason.strip():
            assert isinstance(refusal, CaseLocked), "a locked case lost an implant"

    # --- signing, amending, reviewing, cancelling ---------------------------------------------

    @rule(persona=mostly(SIGNERS), right_password=st.sampled_from([True, True, False]))
    def sign_out(self, persona: str, right_password: bool) -> None:
        missing = workflow.missing_for_sign_out(self.observe().case)
        password = PASSWORD if right_password else "not-the-password"
        _, refusal, before = self.attempt(
            persona, SIGNERS, workflow.sign_out, case_id=self.case.pk, password=password
        )
        if refusal is None:
            assert not missing, f"signed out with {[step.label for step in missing]} missing"
            assert before.status == CaseStatus.IN_PROGRESS and right_password
            event("signed out")

    @rule(
        persona=mostly(SIGNERS),
        index=step_index,
        status=st.sampled_from([StepStatus.DONE, StepStatus.DONE, StepStatus.NOT_APPLICABLE]),
        value=st.sampled_from(VALUES + ["3", "5", "Posterior", "no"] * 3),
        na_reason=reasons,
        reason=st.sampled_from(["Measured again", "Typo in the record", "", " "]),
        right_password=st.sampled_from([True, True, False]),
        offset=revision_offset,
    )
    def amend(self, persona, index, status, value, na_reason, reason, right_password, offset):
        step = self.step(index)
        answer = workflow.Answer(status=status, value=value, na_reason=na_reason)
        _, refusal, before = self.attempt(
            persona,
            SIGNERS,
            workflow.amend,
            case_id=self.case.pk,
            step_id=step.pk,
            answer=answer,
            revision=step.revision + offset,
            reason=reason,
            password=PASSWORD if right_password else "not-the-password",
        )
        if refusal is None:
            assert before.status in (CaseStatus.COMPLETED, CaseStatus.REVIEWED)
            assert self.observe().events[-1].action == AuditAction.STEP_AMENDED
            event("amended")

    @rule(persona=mostly(REVIEWERS), comment=st.sampled_from(["", "Fine", "x" * 2001]))
    def review(self, persona: str, comment: str) -> None:
        _, refusal, before = self.attempt(
            persona, REVIEWERS, workflow.mark_reviewed, case_id=self.case.pk, comment=comment
        )
        if refusal is None:
            assert before.status in (CaseStatus.COMPLETED, CaseStatus.REVIEWED)
            event("reviewed")

    # Mostly without a reason: a cancelled case ends the example's interesting part early.
    @rule(persona=mostly(RECORDERS), reason=st.sampled_from(["", "   ", "", "Patient unwell"]))
    def cancel(self, persona: str, reason: str) -> None:
        _, refusal, before = self.attempt(
            persona, RECORDERS, workflow.cancel, case_id=self.case.pk, reason=reason
        )
        locked = before.status in (CaseStatus.COMPLETED, CaseStatus.REVIEWED)
        if persona in RECORDERS and locked and reason.strip():
            assert isinstance(refusal, CaseLocked), "a signed case was cancelled"
        if refusal is None:
            assert before.status in (
                CaseStatus.SCHEDULED,
                CaseStatus.IN_PROGRESS,
                CaseStatus.CANCELLED,
            )

    # --- the rules, after every step --------------------------------------------------------

    @invariant()
    def a_signed_case_misses_nothing(self) -> None:
        case = self.observe().case
        if case.status in (CaseStatus.COMPLETED, CaseStatus.REVIEWED):
            missing = workflow.missing_for_sign_out(case)
            assert not missing, f"{case.status} with {[step.label for step in missing]} missing"

    @invariant()
    def a_locked_case_changes_only_by_amendment(self) -> None:
        if self.locked_at_seq is None:
            return
        observed = self.observe()
        expected = {pk: dict(state) for pk, state in self.locked_steps.items()}
        since = [event for event in observed.events if event.seq > self.locked_at_seq]
        for amendment in (e for e in since if e.action == AuditAction.STEP_AMENDED):
            expected[amendment.step_id].update({n: amendment.after[n] for n in STATE_FIELDS})
        assert observed.step_states() == expected, "a locked case changed but by amendment"
        assert observed.implants == self.locked_implants, "a locked case's implants moved"
        allowed = (AuditAction.STEP_AMENDED, AuditAction.REVIEWED, AuditAction.SIGNATURE_REFUSED)
        others = [event.action for event in since if event.action not in allowed]
        assert not others, f"{others} on a locked case"

    @invariant()
    def no_step_is_recorded_behind_a_pending_hard_stop(self) -> None:
        steps = self.steps()
        for stop in steps:
            if not stop.hard_stop or stop.status != StepStatus.PENDING:
                continue
            behind = [
                step.label
                for step in steps
                if step.position > stop.position
                and step.status != StepStatus.PENDING
                and (not stop.side or not step.side or step.side == stop.side)
            ]
            assert not behind, f"{behind} recorded while {stop.label} is pending"

    @invariant()
    def no_step_is_recorded_after_a_gating_phase_with_a_required_step_pending(self) -> None:
        steps = self.steps()
        for gate in steps:
            if not (gate.gates_later_phases and gate.required and gate.status == "pending"):
                continue
            behind = [
                step.label
                for step in steps
                if PHASE_ORDER[step.phase] > PHASE_ORDER[gate.phase]
                and step.status != StepStatus.PENDING
                and (not gate.side or not step.side or step.side == gate.side)
            ]
            assert not behind, f"{behind} recorded while {gate.label} is pending"

    @invariant()
    def an_override_stands_only_on_an_unexpected_answer_with_its_reason(self) -> None:
        for step in self.steps():
            overridden = step.stop_overridden_by_id is not None
            assert overridden == bool(step.stop_override_reason.strip()), step.label
            assert overridden == (step.stop_overridden_at is not None), step.label
            if overridden:
                assert departs(step), f"{step.label} keeps an override for an expected answer"

    @invariant()
    def every_answer_keeps_its_rules(self) -> None:
        implant_sides = {side for _, side, *_ in self.observe().implants}
        for step in self.steps():
            if step.status == StepStatus.NOT_APPLICABLE:
                assert step.na_reason.strip() and not step.hard_stop
            if step.status != StepStatus.DONE:
                continue
            if step.kind == StepKind.NUMBER:
                assert step.min_value <= Decimal(step.value) <= step.max_value, step.value
            elif step.kind in (StepKind.YES_NO, StepKind.CHOICE):
                assert step.value in step.answers(), step.value
            elif step.kind == StepKind.IMPLANTS:
                assert step.side in implant_sides, f"{step.label} ticked without an implant"

    # The two checks below read every event and recount the dashboard: after every step they
    # took most of the machine's time. They run once, at the end of each example (teardown),
    # and catch as much: the chain is append-only, so an event wrong or missing stays so, and
    # a row changed behind the chain's back stays different from its replay; the summary rows
    # change only when a case closes, is amended or cancelled, and a wrong count stays wrong.
    def the_audit_chain_verifies_replays_into_the_rows_and_counts_every_change(self) -> None:
        verdict = verify_audit(case_ids=[self.case.pk])
        assert verdict.ok, [str(problem) for problem in verdict.problems]
        assert verdict.identity_unsealed == 0
        observed = self.observe()
        refusals = [e for e in observed.events if e.action == AuditAction.SIGNATURE_REFUSED]
        assert observed.case.audit_seq == len(observed.events)
        assert observed.case.version == len(observed.events) - len(refusals)

    @invariant()
    def the_stored_compliance_is_what_the_steps_say(self) -> None:
        observed = self.observe()  # no query of its own: the rows already read
        case = observed.case
        stored = (case.time_out_at, case.incision_at, case.required_complete)
        if case.status in OPEN:
            assert stored == (None, None, None), "an open case with compliance stored"
        else:
            facts = compliance_of(StepFacts.of(step) for step in observed.steps)
            assert stored == (facts.time_out_at, facts.incision_at, facts.required_complete)
        amended = any(event.action == AuditAction.STEP_AMENDED for event in observed.events)
        assert case.amended == amended

    def the_dashboards_counts_are_a_recount_of_the_case(self) -> None:
        assert kept() == recount()

    @invariant()
    def the_status_only_moves_forward(self) -> None:
        for earlier, later in zip(self.statuses, self.statuses[1:], strict=False):
            if later == CaseStatus.CANCELLED:
                assert earlier in (CaseStatus.SCHEDULED, CaseStatus.IN_PROGRESS)
            else:
                assert earlier != CaseStatus.CANCELLED, "a cancelled case came back"
                assert ORDER[later] > ORDER[earlier], f"{earlier} → {later}"


def departs(step: CaseStep) -> bool:
    """Answered, and not with the answer the step expects (not applicable included)."""
    if not step.expected_answer or step.status == StepStatus.PENDING:
        return False
    return not (step.status == StepStatus.DONE and step.value == step.expected_answer)


def held_back(step: CaseStep, steps: tuple[CaseStep, ...]) -> str:
    """What holds ``step`` back, as the rules say it (a label, "" for nothing): a pending hard
    stop before it; in an earlier phase, a pending required step of a gating phase or a Stop
    (an unexpected answer not overridden); only on its own side or of no side."""
    for other in steps:
        if other.pk == step.pk or (other.side and step.side and other.side != step.side):
            continue
        earlier_phase = PHASE_ORDER[other.phase] < PHASE_ORDER[step.phase]
        pending = other.status == StepStatus.PENDING
        if other.hard_stop and pending and other.position < step.position:
            return other.label
        if earlier_phase and other.gates_later_phases and other.required and pending:
            return other.label
        if earlier_phase and departs(other) and other.stop_overridden_by_id is None:
            return other.label
    return ""


def test_the_workflow_keeps_its_rules_whatever_happens(db):
    people = make_people()
    procedure = make_procedure(*MACHINE_STEPS, title="Stateful fusion", slug="stateful-fusion")
    run_state_machine_as_test(
        lambda: WorkflowMachine(people, procedure),
        settings=settings(
            max_examples=examples(EXAMPLES),
            stateful_step_count=STEPS_PER_EXAMPLE,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
