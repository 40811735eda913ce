"""One case made twice, through the workflow and by the bulk generator, must be the same rows.

Both ways are given one plan (``checklists.bulk.plan.Plan``): the same people, the same answers
and implants at the same moments, the same sign-out, amendment, review or cancellation. The
workflow replays it call by call (``create_case``, ``record_step`` for each answer,
``start_time_out`` and ``end_time_out``, ``add_implant``, ``sign_out`` after a refused
password, ``amend``, ``mark_reviewed``, ``cancel``) under a pinned clock: ``timezone.now``
returns each planned moment in turn, so every timestamp the workflow writes is the plan's, to
the microsecond. Its rows are read, then rolled back (a savepoint), and the generator builds
the rows of the same plan with the ids the workflow used (``RowBuilder.case_rows``, told each
table's ids in the order the workflow drew them) and inserts them as ``generate_cases`` does.

Compared, row by row and read back through the ORM, every column of: the case (its status,
times, version, compliance facts, ``amended``, ``audit_seq`` and ``audit_head``), every step
(the snapshot and the answer, ``revision`` included), every implant, every signature
(``content_hash`` included), every Time Out (the team and the attestations) and every audit
event (action, step, actor, ``before``, ``after``, ``created_at``, ``seq``, ``prev_hash``,
``hash``); and the JSON text of each
event's payloads as stored, byte for byte. Nothing is recomputed for the comparison: equal
hashes come from equal inputs hashed by the same code. The generated chain must also verify.
"""

import datetime
import random
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Room
from checklists import quality, workflow
from checklists.audit import verify_chains
from checklists.bulk import cast, database, lapses
from checklists.bulk.cast import MI
from checklists.bulk.plan import (
    Plan,
    PlannedAmendment,
    PlannedAnswer,
    PlannedCancellation,
    PlannedImplant,
    PlannedReadBack,
    PlannedReview,
    PlannedTimeOut,
    PlannedTimeOutEnd,
    time_outs_for,
)
from checklists.bulk.rows import RowBuilder
from checklists.bulk.vocabulary import NOT_APPLICABLE
from checklists.choices import StepStatus
from checklists.errors import SignatureRefused
from checklists.models import (
    AuditEvent,
    Case,
    CaseQuality,
    CaseStep,
    Concern,
    Implant,
    Signature,
    TimeOut,
)
from procedures.choices import StepKind, StepRole
from procedures.models import Procedure
from tests.conftest import PASSWORD

START = datetime.datetime(2025, 3, 4, 8, 30, tzinfo=datetime.UTC)
GTIN = "00812345678901"
MODELS = {
    "case": Case,
    "step": CaseStep,
    "implant": Implant,
    "signature": Signature,
    "time_out": TimeOut,
    "concern": Concern,
}


class Clock:
    """``timezone.now`` for the workflow: the moment the plan says, set before each call."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.at = START
        monkeypatch.setattr(timezone, "now", lambda: self.at)


@pytest.fixture
def team(nurse, scrub, anaesthetist, surgeon):
    return {
        StepRole.NURSE: nurse,
        StepRole.SCRUB: scrub,
        StepRole.ANAESTHETIST: anaesthetist,
        StepRole.SURGEON: surgeon,
    }


def planned(team: dict, laterality: str, *, answered: int | None = None) -> Plan:
    """A case of the minimally invasive procedure; its first ``answered`` steps (all if None)
    answered a minute apart as a theatre team would, implants logged and read back (half a
    minute later) before each implant step."""
    layout = cast.layout_of(Procedure.objects.get(slug=MI), laterality)
    people = {role: cast.person_of(user) for role, user in team.items()}
    plan = Plan(
        layout=layout,
        surgeon=people[StepRole.SURGEON],
        speed=1.0,
        room="OR 4",
        start=START,
        created_at=START - datetime.timedelta(days=2, seconds=0.25),
        creator=people[StepRole.NURSE],
        patient=("SYN-0000042", "Pat Example", datetime.date(1961, 3, 14)),
        outcome="done",
    )
    steps = layout.steps if answered is None else layout.steps[:answered]
    for index, step in enumerate(steps):
        at = START + datetime.timedelta(minutes=index + 1, microseconds=1234 * index)
        if step.kind == StepKind.IMPLANTS:
            for n in (1, 2):
                added = at - datetime.timedelta(seconds=80 - 20 * n, microseconds=7 * n)
                plan.implants.append(implant(step.side, n, plan.surgeon, added))
        by = people[step.role]
        plan.answers.append(PlannedAnswer(index, *answer(step, laterality), by=by, at=at))
    last_item = max(i for i, step in enumerate(layout.steps) if step.phase == "time_out")
    plan.time_outs = time_outs_for(
        plan,
        team=(people[StepRole.ANAESTHETIST], people[StepRole.NURSE], people[StepRole.SCRUB]),
        attested=(True, False, 2),
        ended=answered is None or answered > last_item,
    )
    return plan


def answer(step: CaseStep, laterality: str) -> tuple[str, str, str, str]:
    """(status, value, note, reason not applicable), as the workflow stores an answer; the
    sides seen agree with the case's ``laterality``."""
    if step.title in NOT_APPLICABLE and not step.hard_stop:
        return StepStatus.NOT_APPLICABLE, "", "", NOT_APPLICABLE[step.title][1]
    if step.kind == StepKind.YES_NO:
        if step.details_required_for:
            return StepStatus.DONE, step.details_required_for, "Penicillin: rash", ""
        return StepStatus.DONE, step.expected_answer or "no", "", ""
    if step.kind == StepKind.CHOICE:
        return StepStatus.DONE, step.options[0], "", ""
    if step.kind == StepKind.NUMBER:
        return StepStatus.DONE, plain((step.min_value or 0) + Decimal("1.5")), "", ""
    if step.kind == StepKind.TEXT:
        return StepStatus.DONE, step.default_value or "Routine recovery.", "", ""
    if step.kind == StepKind.SIDE:
        seen = step.side or ("both" if laterality == "bilateral" else laterality)
        return StepStatus.DONE, seen, "", ""
    return StepStatus.DONE, "", "Checked twice" if step.position == 1 else "", ""


def plain(number: Decimal) -> str:
    return f"{number.normalize():f}"


def implant(side: str, n: int, by: cast.Person, at: datetime.datetime) -> PlannedImplant:
    lot, serial, expiry = f"L{n}{side[0].upper()}", f"S00{n}{side}", datetime.date(2027, 12, 31)
    return PlannedImplant(
        side=side,
        manufacturer="SI-BONE",
        product="iFuse-3D",
        size=f"7.0 x {40 + 5 * n}",
        lot=lot,
        expiry=expiry,
        serial=serial,
        gtin=GTIN,
        udi=f"(01){GTIN}(17){expiry:%y%m%d}(10){lot}(21){serial}",
        expiry_override_reason="",
        added_by=by,
        added_at=at,
    )


def replay(plan: Plan, clock: Clock) -> Case:
    """The plan, made through the workflow at the plan's moments."""
    users = User.objects.in_bulk()
    procedure = Procedure.objects.get(pk=plan.layout.procedure_id)
    surgeon = users[plan.surgeon.pk]
    clock.at = plan.created_at
    mrn, name, born = plan.patient
    Room.objects.get_or_create(name=plan.room)
    case = workflow.create_case(
        actor=users[plan.creator.pk],
        procedure=procedure,
        patient_mrn=mrn,
        patient_name=name,
        patient_birth_date=born,
        laterality=plan.layout.laterality,
        surgeon=surgeon,
        room=plan.room,
        scheduled_start=plan.start,
    )
    step_ids = list(case.steps.order_by("position").values_list("pk", flat=True))
    moments = [(i.added_at, 0, i) for i in plan.implants]
    moments += [(i.read_back_at, 0, PlannedReadBack(i)) for i in plan.implants]
    moments += [(a.at, 1, a) for a in plan.answers]
    moments += [(t.started_at, 1, t) for t in plan.time_outs]
    moments += [(t.ended_at, 1, PlannedTimeOutEnd(t)) for t in plan.time_outs if t.ended_at]
    moments += [(at, 1, stop) for at, stop in lapses.stop_moments(plan)]
    logged: dict[int, int] = {}  # id() of a planned implant -> the workflow's implant id
    started: dict[int, int] = {}  # id() of a planned Time Out -> the workflow's TimeOut id
    called: dict[int, int] = {}  # id() of a planned Stop -> the workflow's Concern id
    for at, _, item in sorted(moments, key=lambda moment: moment[:2]):
        clock.at = at
        if isinstance(item, lapses.PlannedStop):
            concern = workflow.raise_concern(
                actor=users[item.by.pk], case_id=case.pk, reason=item.reason
            )
            called[id(item)] = concern.pk
            continue
        if isinstance(item, lapses.PlannedStopResolved):
            workflow.resolve_concern(
                actor=users[item.stop.resolved_by.pk],
                case_id=case.pk,
                concern_id=called[id(item.stop)],
                resolution=item.stop.resolution,
            )
            continue
        if isinstance(item, PlannedTimeOut):
            time_out = workflow.start_time_out(
                actor=users[item.circulating_nurse.pk], case_id=case.pk, side=item.side
            )
            started[id(item)] = time_out.pk
            continue
        if isinstance(item, PlannedTimeOutEnd):
            planned_time_out = item.time_out
            workflow.end_time_out(
                actor=users[planned_time_out.circulating_nurse.pk],
                case_id=case.pk,
                time_out_id=started[id(planned_time_out)],
                team=workflow.TimeOutTeam(
                    surgeon=users[planned_time_out.surgeon.pk],
                    anaesthetist=users[planned_time_out.anaesthetist.pk],
                    circulating_nurse=users[planned_time_out.circulating_nurse.pk],
                    scrub=users[planned_time_out.scrub.pk] if planned_time_out.scrub else None,
                ),
                attestation=workflow.Attestation(
                    all_items_spoken=planned_time_out.all_items_spoken,
                    everyone_present=planned_time_out.everyone_present,
                    interruptions=planned_time_out.interruptions,
                ),
            )
            continue
        if isinstance(item, PlannedImplant):
            entry = workflow.ImplantEntry(
                side=item.side,
                manufacturer=item.manufacturer,
                product=item.product,
                size=item.size,
                udi=item.udi,
            )
            added = workflow.add_implant(
                actor=users[item.added_by.pk], case_id=case.pk, entry=entry
            )
            logged[id(item)] = added.pk
            continue
        if isinstance(item, PlannedReadBack):
            workflow.confirm_read_back(
                actor=users[item.implant.added_by.pk],
                case_id=case.pk,
                implant_id=logged[id(item.implant)],
            )
            continue
        workflow.record_step(
            actor=users[item.by.pk],
            case_id=case.pk,
            step_id=step_ids[item.step_index],
            answer=workflow.Answer(*item[1:5]),
            revision=0,
        )
    if plan.refused_at:
        clock.at = plan.refused_at
        with pytest.raises(SignatureRefused):
            workflow.sign_out(actor=surgeon, case_id=case.pk, password="not it")
    if plan.completed_at:
        clock.at = plan.completed_at
        workflow.sign_out(actor=surgeon, case_id=case.pk, password=PASSWORD)
    if plan.amendment:
        clock.at = plan.amendment.at
        workflow.amend(
            actor=surgeon,
            case_id=case.pk,
            step_id=step_ids[plan.answers[plan.amendment.answer].step_index],
            answer=workflow.Answer(status=StepStatus.DONE, value=plan.amendment.value),
            revision=1,
            reason=plan.amendment.reason,
            password=PASSWORD,
        )
    if plan.reviewed:
        clock.at = plan.reviewed.at
        reviewer = users[plan.reviewed.by.pk]
        workflow.mark_reviewed(actor=reviewer, case_id=case.pk, comment=plan.reviewed.comment)
    if plan.cancelled:
        clock.at = plan.cancelled.at
        creator = users[plan.creator.pk]
        workflow.cancel(actor=creator, case_id=case.pk, reason=plan.cancelled.reason)
    return case


def rows_of(case_id: int) -> dict[str, list[dict]]:
    rows = {
        name: list(
            model._default_manager.filter(**{"pk" if name == "case" else "case": case_id}).values()
        )
        for name, model in MODELS.items()
    }
    rows["quality"] = list(CaseQuality.objects.filter(case=case_id).values())
    events = AuditEvent.objects.filter(case=case_id).order_by("seq")
    rows["event"] = list(events.values())
    with connection.cursor() as cursor:  # the payloads' JSON text as stored
        table = connection.ops.quote_name(AuditEvent._meta.db_table)
        sql = f"SELECT seq, before, after FROM {table} WHERE case_id = %s ORDER BY seq"  # noqa: S608
        cursor.execute(sql, [case_id])
        rows["payload text"] = [
            dict(zip(("seq", "before", "after"), r, strict=True)) for r in cursor
        ]
    return rows


def the_two_ways(plan: Plan, clock: Clock) -> tuple[dict, dict]:
    with transaction.atomic():
        case = replay(plan, clock)
        made = rows_of(case.pk)
        transaction.set_rollback(True)
    assert not Case.objects.filter(pk=case.pk).exists()
    # The workflow's ids, in the order it drew them: what the generator is to use.
    ids = {name: iter(sorted(row["id"] for row in made[name])) for name in MODELS}
    ids["event"] = iter([row["id"] for row in made["event"]])
    database.insert(RowBuilder(sqlite=connection.vendor == "sqlite").rows([plan], ids))
    quality.store_quality(Case.objects.filter(pk=case.pk))  # as ``generate`` does, per batch
    return made, rows_of(case.pk)


def assert_same(made: dict, built: dict) -> None:
    for table, rows in made.items():
        assert len(built[table]) == len(rows), table
        for made_row, built_row in zip(rows, built[table], strict=True):
            assert built_row == made_row, table


def test_a_signed_amended_and_reviewed_bilateral_case_is_the_same_both_ways(
    team, reviewer, monkeypatch
):
    plan = planned(team, "bilateral")
    last = plan.answers[-1].at
    steps = plan.layout.steps
    incision = next(
        i for i, a in enumerate(plan.answers) if "incision" in steps[a.step_index].title
    )
    plan.refused_at = last + datetime.timedelta(seconds=30, microseconds=11)
    plan.completed_at = last + datetime.timedelta(minutes=2, microseconds=22)
    value = plain(Decimal(plan.answers[incision].value) + Decimal("0.5"))
    amended_at = plan.completed_at + datetime.timedelta(hours=3)
    plan.amendment = PlannedAmendment(incision, value, "Length re-measured", amended_at)
    reviewed_at = amended_at + datetime.timedelta(days=1)
    plan.reviewed = PlannedReview(cast.person_of(reviewer), reviewed_at, "Complete and consistent.")

    made, built = the_two_ways(plan, Clock(monkeypatch))

    assert_same(made, built)
    [case] = built["case"]
    assert (case["status"], case["amended"], case["required_complete"]) == ("reviewed", True, True)
    assert {row["side"] for row in built["implant"]} == {"left", "right"}
    assert [row["meaning"] for row in built["signature"]] == ["sign_out", "amendment"]
    actions = {row["action"] for row in built["event"]}
    assert {"signature_refused", "step_amended", "implant_added", "reviewed"} <= actions
    assert [(row["side"], row["interruptions"]) for row in built["time_out"]] == [
        ("", 2),
        ("right", 2),
    ]
    assert {row["status"] for row in built["step"]} == {StepStatus.DONE, StepStatus.NOT_APPLICABLE}
    assert verify_chains(case_ids=[case["id"]]).ok


def test_a_case_cancelled_midway_is_the_same_both_ways(team, monkeypatch):
    plan = planned(team, "left", answered=25)
    plan.cancelled = PlannedCancellation(START + datetime.timedelta(hours=1), "Equipment fault")

    made, built = the_two_ways(plan, Clock(monkeypatch))

    assert_same(made, built)
    [case] = built["case"]
    assert (case["status"], case["required_complete"]) == ("cancelled", False)
    assert built["implant"]
    assert [row["ended_at"] is not None for row in built["time_out"]] == [True]
    assert verify_chains(case_ids=[case["id"]]).ok


def test_a_case_cancelled_before_it_started_is_the_same_both_ways(team, monkeypatch):
    plan = planned(team, "right", answered=0)
    plan.cancelled = PlannedCancellation(START - datetime.timedelta(hours=5), "Consent withdrawn")

    made, built = the_two_ways(plan, Clock(monkeypatch))

    assert_same(made, built)
    assert built["event"][-1]["before"] == {"status": "scheduled"}
    assert verify_chains(case_ids=[built["case"][0]["id"]]).ok


class Always(random.Random):
    """A generator whose every chance comes true: each lapse ``lapses`` draws happens."""

    def random(self) -> float:
        return 0.0


def test_a_case_with_its_lapses_is_the_same_both_ways(team, monkeypatch):
    """A scrub missing at the Time Outs, the Sign In caught up in one go, and a Stop that made
    the Time Out stale, resolved, and the Time Out repeated: the same rows, quality included."""
    plan = planned(team, "bilateral")
    people = {role: cast.person_of(user) for role, user in team.items()}
    lapses.catch_up(plan, Always())
    plan.time_outs = time_outs_for(
        plan,
        team=(people[StepRole.ANAESTHETIST], people[StepRole.NURSE], None),
        attested=(False, True, 1),
    )
    lapses.call_a_stop(plan, Always(), people=[people[StepRole.SCRUB]])
    plan.completed_at = plan.answers[-1].at + datetime.timedelta(minutes=2, microseconds=5)

    made, built = the_two_ways(plan, Clock(monkeypatch))

    assert_same(made, built)
    [stop] = built["concern"]
    assert stop["resolved_at"] is not None
    assert [(row["side"], row["invalidated_at"] is not None) for row in built["time_out"]] == [
        ("", True),
        ("", False),
        ("right", False),
    ]
    [facts] = built["quality"]
    assert (facts["stops"], facts["time_outs_repeated"], facts["scrub_present"]) == (1, 1, False)
    assert facts["recorded_after_the_fact"] is True  # twelve rows two seconds apart
    assert verify_chains(case_ids=[built["case"][0]["id"]]).ok
