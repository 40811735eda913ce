"""A day of demo cases in varied states, made through the workflow: real audit trails."""

import datetime
from decimal import Decimal
from typing import NamedTuple

from django.contrib.auth.models import User
from django.utils import timezone

from accounts.models import Room
from checklists import workflow
from checklists.choices import StepStatus
from checklists.models import Case, CaseStep, time_out_gate
from procedures.choices import StepKind, StepRole
from procedures.models import Procedure

DEMO_MRN_PREFIX = "DEMO-"
MI = "si-fusion-minimally-invasive"
OPEN = "si-fusion-open"


class DemoCase(NamedTuple):
    mrn: str
    name: str
    born: datetime.date
    procedure: str
    laterality: str
    room: str
    start: datetime.time
    steps_to_record: int | None  # None: every step, then sign out; 0: leave it scheduled


DEMO_DAY = (
    DemoCase("DEMO-1001", "Alice Brennan", datetime.date(1958, 4, 2), MI, "left", "OR 1",
             datetime.time(8, 0), None),
    DemoCase("DEMO-1002", "Omar Haddad", datetime.date(1971, 9, 23), MI, "bilateral", "OR 1",
             datetime.time(11, 30), 26),
    DemoCase("DEMO-1003", "Grace Okafor", datetime.date(1966, 1, 15), OPEN, "right", "OR 2",
             datetime.time(8, 30), 6),
    DemoCase("DEMO-1004", "Henrik Larsen", datetime.date(1980, 7, 7), MI, "right", "OR 2",
             datetime.time(13, 0), 0),
    DemoCase("DEMO-1005", "Mei Tanaka", datetime.date(1949, 12, 1), OPEN, "left", "OR 3",
             datetime.time(9, 15), 0),
)  # fmt: skip

# Scanned, not typed: the device catalogue (the sample ``seed_demo`` loads) names each implant.
IMPLANT_UDI = {
    MI: "(01)00812345678901(17)281231(10)LOT123(21)SN{serial}",
    OPEN: "(01)00812345678918(17)281231(10)LOT456(21)SN{serial}",
}


def seed_demo_day(*, users: dict[str, User], password: str, day: datetime.date) -> int:
    """Create the demo cases for ``day`` unless they exist already; return how many exist."""
    existing = Case.objects.filter(
        patient_mrn__startswith=DEMO_MRN_PREFIX, scheduled_start__date=day
    )
    if existing.exists():
        return existing.count()
    by_role: dict[str, User] = {
        StepRole.NURSE: users["nurse"],
        StepRole.SCRUB: users["scrub"],
        StepRole.ANAESTHETIST: users["anaesthetist"],
        StepRole.SURGEON: users["surgeon"],
    }
    procedures = {procedure.slug: procedure for procedure in Procedure.objects.all()}
    for name in sorted({demo.room for demo in DEMO_DAY}):
        Room.objects.get_or_create(name=name)
    for demo in DEMO_DAY:
        case = workflow.create_case(
            actor=users["nurse"],
            procedure=procedures[demo.procedure],
            patient_mrn=demo.mrn,
            patient_name=demo.name,
            patient_birth_date=demo.born,
            laterality=demo.laterality,
            surgeon=users["surgeon"],
            room=demo.room,
            scheduled_start=timezone.make_aware(datetime.datetime.combine(day, demo.start)),
        )
        steps = list(case.steps.order_by("position"))
        for step in steps[: demo.steps_to_record]:
            _time_outs_before(case, step, by_role)
            _answer(case, step, by_role[step.role])
        if demo.steps_to_record is None:
            workflow.sign_out(actor=users["surgeon"], case_id=case.pk, password=password)
    return len(DEMO_DAY)


def _time_outs_before(case: Case, step: CaseStep, by_role: dict[str, User]) -> None:
    """The Time Outs the gate demands before ``step`` (``TimeOutGate``): the case's, and a
    bilateral case's second side's, read aloud by the demo team, every item spoken."""
    gate = time_out_gate(case)
    if not gate.waits(step):
        return
    sides = [side for side in ("", step.side) if side == "" or side == gate.second_side]
    # Read afresh: a profile made after the user was read is not on the object yet.
    people = User.objects.select_related("staff_profile").in_bulk(
        [person.pk for person in by_role.values()]
    )
    nurse = people[by_role[StepRole.NURSE].pk]
    team = workflow.TimeOutTeam(
        surgeon=case.surgeon,
        anaesthetist=people[by_role[StepRole.ANAESTHETIST].pk],
        circulating_nurse=nurse,
        scrub=people[by_role[StepRole.SCRUB].pk],
    )
    attested = workflow.Attestation(all_items_spoken=True, everyone_present=True, interruptions=0)
    for side in sides:
        if gate.holds(side):
            continue
        time_out = workflow.start_time_out(actor=nurse, case_id=case.pk, side=side)
        workflow.end_time_out(
            actor=nurse, case_id=case.pk, time_out_id=time_out.pk, team=team, attestation=attested
        )


def _answer(case: Case, step: CaseStep, actor: User) -> None:
    if step.kind == StepKind.IMPLANTS:
        for n in range(3 if case.procedure.slug == MI else 2):
            serial = f"{case.pk}{step.side[0].upper()}{n + 1}"
            entry = workflow.ImplantEntry(
                side=step.side, udi=IMPLANT_UDI[case.procedure.slug].format(serial=serial)
            )
            implant = workflow.add_implant(actor=actor, case_id=case.pk, entry=entry)
            workflow.confirm_read_back(actor=actor, case_id=case.pk, implant_id=implant.pk)
    workflow.record_step(
        actor=actor,
        case_id=case.pk,
        step_id=step.pk,
        answer=workflow.Answer(status=StepStatus.DONE, value=_value(case, step)),
        revision=step.revision,
    )


def _value(case: Case, step: CaseStep) -> str:
    if step.kind == StepKind.SIDE:
        return workflow.side_expected(case, step)  # the demo's sides agree
    if step.kind == StepKind.YES_NO:
        return step.expected_answer or "no"
    if step.kind == StepKind.CHOICE:
        return step.options[0]
    if step.kind == StepKind.NUMBER:
        low, high = step.min_value or Decimal(4), step.max_value or Decimal(8)
        return str((low + high) / 2)
    if step.kind == StepKind.TEXT:
        return step.default_value or "Routine recovery; analgesia as charted."
    return ""
