"""The rows of planned cases, as the workflow would have written them, built with its code.

What the workflow computes, this module takes from the workflow's own pure functions: the
step snapshot (``snapshot_of``, via ``checklists.bulk.cast``); every audit payload
(``checklists.payloads``); the signed content hash (``signing.content_hash``); each event's
chained hash (``AuditEvent.compute_hash``, the verifier's own code, so ``verify_audit`` proves
these chains); the compliance facts (``checklists.compliance``). What is left here is the
bookkeeping of a case's history: ids, revisions, positions, the version, the status at the end.
``tests/checklists/test_bulk_equality.py`` makes one case both ways and compares every row.

Rows are plain tuples in the column order of ``checklists.bulk.columns``, values as the
database driver takes them (steps and events are too many for model instances: 100k cases
make some 7 million). The few rows per case that payload builders read (the case, its
implants, signatures) are unsaved model instances.
"""

import datetime
from collections.abc import Iterable
from typing import Any

from checklists import payloads
from checklists.bulk import lapses
from checklists.bulk.columns import (
    ANSWER_COLUMNS,
    Chain,
    Ids,
    Rows,
    StepAnswer,
)
from checklists.bulk.plan import (
    Plan,
    PlannedAnswer,
    PlannedImplant,
    PlannedReadBack,
    PlannedTimeOut,
    PlannedTimeOutEnd,
)
from checklists.bulk.values import RowValues
from checklists.choices import AuditAction, CaseStatus, SignatureMeaning, StepStatus
from checklists.compliance import STEP_FIELDS, Compliance, StepFacts, compliance_of
from checklists.models import Case, CaseStep, Implant, Signature, audit_key_id
from checklists.workflow.implants import how_entered
from checklists.workflow.signing import CONTENT_STEP_FIELDS, ContentStep, content_hash
from procedures.choices import StepRole


def needed_ids(plans: list[Plan]) -> dict[str, int]:
    """How many primary keys of each table the rows of ``plans`` take."""
    return {
        "case": len(plans),
        "step": sum(len(plan.layout.steps) for plan in plans),
        "implant": sum(len(plan.implants) for plan in plans),
        "signature": sum((p.completed_at is not None) + (p.amendment is not None) for p in plans),
        "event": sum(_event_count(plan) for plan in plans),
        "time_out": sum(len(plan.time_outs) for plan in plans),
        "concern": sum(len(plan.stops) for plan in plans),
    }


class RowBuilder:
    """Builds the rows of planned cases. ``sqlite``: values as Django's SQLite backend stores
    them (times and decimals as text); otherwise as PostgreSQL's driver takes them."""

    def __init__(self, *, sqlite: bool) -> None:
        self.values = RowValues(sqlite=sqlite)

    def rows(self, plans: list[Plan], ids: Ids) -> Rows:
        rows = Rows()
        for plan in plans:
            self.case_rows(plan, ids, rows)
        return rows

    def case_rows(self, plan: Plan, ids: Ids, rows: Rows) -> None:
        """Append every row of one planned case to ``rows``. Its ids are drawn from ``ids`` in
        the order the workflow would have made its rows: the case; its steps by position; its
        implants as added; its Time Outs as started; its signatures as signed; its events by
        sequence number."""
        case_id = next(ids["case"])
        layout = plan.layout
        mrn, name, born = plan.patient
        case = Case(
            pk=case_id,
            patient_mrn=mrn,
            patient_name=name,
            patient_birth_date=born,
            procedure_id=layout.procedure_id,
            procedure_version_id=layout.version_id,
            laterality=layout.laterality,
            surgeon_id=plan.surgeon.pk,
            room=plan.room,
        )
        chain = Chain(case_id)
        created = payloads.case_created(
            procedure_id=layout.procedure_id,
            laterality=layout.laterality,
            surgeon_id=plan.surgeon.pk,
            room=plan.room,
            scheduled_start=plan.start,
            steps=len(layout.steps),
            identity=case.identity_seal(key_id=audit_key_id()),
        )
        chain.append(AuditAction.CASE_CREATED, plan.creator, plan.created_at, after=created)
        step_ids = [next(ids["step"]) for _ in layout.steps]
        answers = [StepAnswer() for _ in layout.steps]
        # Each step's state as the trail last kept it: the next change's ``before``.
        states = [payloads.step_state(StepAnswer())] * len(answers)

        # Steps and implants, in the order they happened.
        implants: list[Implant] = []
        logged_as: dict[int, Implant] = {}  # id() of a planned implant -> its row
        timeline = _timeline(plan)
        time_out_ids: dict[int, int] = {}  # id() of a planned Time Out -> its row's id
        concern_ids: dict[int, int] = {}  # id() of a planned Stop -> its row's id
        for at, item in timeline:
            if isinstance(item, lapses.PlannedStop | lapses.PlannedStopResolved):
                lapses.chain_stop(
                    item,
                    plan=plan,
                    chain=chain,
                    ids=ids,
                    concern_ids=concern_ids,
                    time_out_ids=time_out_ids,
                )
                continue
            if isinstance(item, PlannedTimeOut):
                time_out_ids[id(item)] = pk = next(ids["time_out"])
                started = payloads.time_out_started(time_out=pk, side=item.side)
                chain.append(
                    AuditAction.TIME_OUT_STARTED, item.circulating_nurse, at, after=started
                )
                continue
            if isinstance(item, PlannedTimeOutEnd):
                ended = _time_out_ended(time_out_ids[id(item.time_out)], item.time_out)
                chain.append(
                    AuditAction.TIME_OUT_ENDED, item.time_out.circulating_nurse, at, after=ended
                )
                continue
            if isinstance(item, PlannedImplant):
                position = 1 + sum(implant.side == item.side for implant in implants)
                implant = _implant(item, next(ids["implant"]), case_id, position)
                implants.append(implant)
                logged_as[id(item)] = implant
                logged = payloads.logged_implant(implant)
                chain.append(AuditAction.IMPLANT_ADDED, item.added_by, at, after=logged)
                continue
            if isinstance(item, PlannedReadBack):
                implant = logged_as[id(item.implant)]
                implant.read_back_by_id, implant.read_back_at = item.implant.added_by.pk, at
                read_back = payloads.implant_read_back(implant)
                chain.append(
                    AuditAction.IMPLANT_READ_BACK, item.implant.added_by, at, after=read_back
                )
                continue
            answer, before = answers[item.step_index], states[item.step_index]
            # Recorded by someone of the step's role (``prepare_cast`` gives each their role).
            answer.record(item.status, item.value, item.note, item.na_reason, item.by.pk, at)
            states[item.step_index] = payloads.step_state(answer)
            chain.append(
                AuditAction.STEP_RECORDED,
                item.by,
                at,
                step_id=step_ids[item.step_index],
                before=before,
                after=states[item.step_index],
            )
        rows.implants.extend(self.values.implant_row(implant) for implant in implants)
        rows.time_outs.extend(
            self.values.time_out_row(time_out_ids[id(time_out)], case_id, time_out)
            for time_out in plan.time_outs
        )
        rows.concerns.extend(
            lapses.stop_rows(plan, case_id=case_id, concern_ids=concern_ids, dt=self.values.dt)
        )
        # The first step or implant takes the case into the room; a Time Out comes after both.
        started_at = timeline[0][0] if timeline else None

        signatures: list[Signature] = []

        def sign(meaning: str, at: datetime.datetime, **fields: Any) -> Signature:
            signature = Signature(
                pk=next(ids["signature"]),
                case_id=case_id,
                signer_id=plan.surgeon.pk,
                printed_name=plan.surgeon.name,
                meaning=meaning,
                signed_at=at,
                content_hash=_content_hash(case, layout.steps, answers, implants),
                **fields,
            )
            signatures.append(signature)
            return signature

        if plan.refused_at:
            chain.append(
                AuditAction.SIGNATURE_REFUSED,
                plan.surgeon,
                plan.refused_at,
                after=payloads.signature_refused(meaning=SignatureMeaning.SIGN_OUT),
                bump_version=False,
            )
        if plan.completed_at:
            signed = payloads.signature_state(sign(SignatureMeaning.SIGN_OUT, plan.completed_at))
            chain.append(AuditAction.SIGNED_OUT, plan.surgeon, plan.completed_at, after=signed)
        if plan.amendment:
            amendment = plan.amendment
            index = plan.answers[amendment.answer].step_index
            answer = answers[index]
            before = states[index]
            # The surgeon amends: the step is recorded for its role unless that is the surgeon's.
            role = layout.steps[index].role
            answer.record(
                StepStatus.DONE,
                amendment.value,
                "",
                "",
                plan.surgeon.pk,
                amendment.at,
                recorded_for="" if role == StepRole.SURGEON else role,
            )
            signature = sign(
                SignatureMeaning.AMENDMENT,
                amendment.at,
                reason=amendment.reason,
                amended_step_id=step_ids[index],
            )
            chain.append(
                AuditAction.STEP_AMENDED,
                plan.surgeon,
                amendment.at,
                step_id=step_ids[index],
                before=before,
                after=payloads.step_amended(answer, reason=amendment.reason, signature=signature),
            )
        if plan.reviewed:
            review = plan.reviewed
            after = payloads.reviewed(comment=review.comment)
            chain.append(AuditAction.REVIEWED, review.by, review.at, after=after)
        status = CaseStatus.REVIEWED if plan.reviewed else CaseStatus.COMPLETED
        if plan.cancelled:
            cancellation = plan.cancelled
            previous = CaseStatus.IN_PROGRESS if timeline else CaseStatus.SCHEDULED
            chain.append(
                AuditAction.CANCELLED,
                plan.creator,
                cancellation.at,
                before=payloads.case_status(status=previous),
                after=payloads.cancelled(status=CaseStatus.CANCELLED, reason=cancellation.reason),
            )
            status = CaseStatus.CANCELLED

        values = self.values
        for index, step in enumerate(layout.steps):
            rows.steps.append(values.step_row(step_ids[index], case_id, step, answers[index]))
        rows.signatures.extend(values.signature_row(signature) for signature in signatures)
        rows.events.extend(values.event_row(next(ids["event"]), event) for event in chain.events)
        facts = _compliance(layout.steps, answers)
        reviewer, reviewed_at, comment = plan.reviewed or (None, None, "")
        cancelled_at, cancel_reason = plan.cancelled or (None, "")
        dt = values.dt
        rows.cases.append(
            (
                case_id,
                mrn,
                name,
                values.date(born),
                layout.procedure_id,
                layout.version_id,
                layout.laterality,
                plan.surgeon.pk,
                plan.room,
                dt(plan.start),
                status,
                plan.creator.pk,
                dt(plan.created_at),
                dt(started_at),
                dt(plan.completed_at),
                dt(reviewed_at),
                reviewer.pk if reviewer else None,
                comment,
                dt(cancelled_at),
                cancel_reason,
                chain.version,
                len(chain.events),
                chain.events[-1].hash,
                dt(facts.time_out_at),
                dt(facts.incision_at),
                facts.required_complete,
                plan.amendment is not None,
                None,  # source_appointment_id: generated cases come from no theatre list
            )
        )


Moment = (
    PlannedImplant
    | PlannedReadBack
    | PlannedAnswer
    | PlannedTimeOut
    | PlannedTimeOutEnd
    | lapses.PlannedStop
    | lapses.PlannedStopResolved
)


def _timeline(plan: Plan) -> list[tuple[datetime.datetime, Moment]]:
    """The plan's implants, their read-backs, the answers, the Time Outs' starts and ends and
    the Stops called and resolved in the order they happened (an implant or a read-back first
    on a tie)."""
    implants = sorted(plan.implants, key=lambda implant: implant.added_at)
    moments: list[tuple[datetime.datetime, int, Moment]]
    moments = [(implant.added_at, 0, implant) for implant in implants]
    moments += [(implant.read_back_at, 0, PlannedReadBack(implant)) for implant in implants]
    moments += [(answer.at, 1, answer) for answer in plan.answers]
    moments += [(time_out.started_at, 1, time_out) for time_out in plan.time_outs]
    moments += [
        (time_out.ended_at, 1, PlannedTimeOutEnd(time_out))
        for time_out in plan.time_outs
        if time_out.ended_at is not None
    ]
    moments += [(at, 1, stop) for at, stop in lapses.stop_moments(plan)]
    moments.sort(key=lambda moment: (moment[0], moment[1]))
    return [(at, item) for at, _, item in moments]


def _implant(item: PlannedImplant, pk: int, case_id: int, position: int) -> Implant:
    entry, carrier = how_entered(item.udi)
    return Implant(
        pk=pk,
        case_id=case_id,
        side=item.side,
        position=position,
        manufacturer=item.manufacturer,
        product=item.product,
        size=item.size,
        lot=item.lot,
        expiry=item.expiry,
        serial=item.serial,
        gtin=item.gtin,
        udi=item.udi,
        expiry_override_reason=item.expiry_override_reason,
        entry=entry,
        carrier=carrier,
        duplicate_override_reason=item.duplicate_override_reason,
        added_by_id=item.added_by.pk,
        added_at=item.added_at,
    )


def _columns(step: CaseStep, answer: StepAnswer, names: Iterable[str]) -> list[Any]:
    """A step's columns by name: the answer's from ``answer``, the snapshot's from ``step``."""
    return [getattr(answer if name in _ANSWERED else step, name) for name in names]


_ANSWERED = frozenset(ANSWER_COLUMNS)


def _content_hash(
    case: Case, steps: tuple[CaseStep, ...], answers: list[StepAnswer], implants: list[Implant]
) -> str:
    return content_hash(
        case,
        steps=[
            ContentStep(*_columns(step, answer, CONTENT_STEP_FIELDS))
            for step, answer in zip(steps, answers, strict=True)
        ],
        implants=[payloads.implant_state(implant) for implant in implants],
    )


def _compliance(steps: tuple[CaseStep, ...], answers: list[StepAnswer]) -> Compliance:
    return compliance_of(
        StepFacts(*_columns(step, answer, STEP_FIELDS))
        for step, answer in zip(steps, answers, strict=True)
    )


def _time_out_ended(pk: int, time_out: PlannedTimeOut) -> payloads.TimeOutEnded:
    return payloads.time_out_ended(
        time_out=pk,
        surgeon=time_out.surgeon.pk,
        anaesthetist=time_out.anaesthetist.pk,
        circulating_nurse=time_out.circulating_nurse.pk,
        scrub=time_out.scrub.pk if time_out.scrub else None,
        all_items_spoken=time_out.all_items_spoken,
        everyone_present=time_out.everyone_present,
        interruptions=time_out.interruptions,
    )


def _event_count(plan: Plan) -> int:
    return (
        1
        + sum(1 + (time_out.ended_at is not None) for time_out in plan.time_outs)
        + len(plan.answers)
        + lapses.stop_event_count(plan)
        + 2 * len(plan.implants)  # each added, then read back
        + (plan.refused_at is not None)
        + (plan.completed_at is not None)
        + (plan.amendment is not None)
        + (plan.reviewed is not None)
        + (plan.cancelled is not None)
    )
