"""Cases worked through the workflow at a theatre team's pace, under a clock the test moves.

The quality facts (``checklists.quality``) read how long things took and how close together
steps were recorded, so these builders move ``timezone.now`` on between the workflow's calls
as a case would: a Sign In step every 30 s, the Time Out read aloud, the procedure's steps
minutes apart. ``closed_case`` makes a case with the facts a test asks for.
"""

import datetime

import pytest
from django.utils import timezone

from checklists import workflow
from checklists.models import Case, CaseStep
from tests.conftest import PASSWORD, make_case, make_procedure, time_out_team

START = datetime.datetime(2026, 3, 4, 8, 0, tzinfo=datetime.UTC)
SIGN_IN = [f"Sign In check {n}" for n in range(1, 10)]  # nine: enough for a catch-up
STEPS = (
    *({"title": title, "phase": "sign_in"} for title in SIGN_IN),
    {"title": "Team introduced", "phase": "time_out", "gates_later_phases": True},
    {"title": "Antibiotics given", "phase": "time_out", "gates_later_phases": True},
    {"title": "Skin incision made", "milestone": "incision", "role": "surgeon", "per_side": True},
    {"title": "Wound closed", "role": "surgeon"},
    {"title": "Counts correct", "phase": "sign_out"},
)
ALL_WELL = workflow.Attestation(all_items_spoken=True, everyone_present=True, interruptions=0)


class Clock:
    """``timezone.now`` for the workflow, moved on by the test as the case goes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, at: datetime.datetime = START) -> None:
        self.at = at
        monkeypatch.setattr(timezone, "now", lambda: self.at)

    def tick(self, seconds: float) -> datetime.datetime:
        self.at += datetime.timedelta(seconds=seconds)
        return self.at


def timed_procedure():
    """Nine Sign In steps, a Time Out of two items that gates the procedure, an incision per
    side, a closure and a Sign Out count."""
    return make_procedure(*STEPS, title="Timed fusion", slug="timed-fusion")


def tick_record(case, title, actor, clock, *, every: float, side: str = "") -> CaseStep:
    """Record a step ``every`` seconds after the clock's last moment."""
    clock.tick(every)
    step = case.steps.get(title=title, side=side)
    return workflow.record_step(
        actor=actor,
        case_id=case.pk,
        step_id=step.pk,
        answer=workflow.Answer(status="done"),
        revision=step.revision,
    )


def sign_in(case, nurse, clock, *, every: float = 30) -> None:
    for title in SIGN_IN:
        tick_record(case, title, nurse, clock, every=every)


def time_out(case, nurse, clock, *, seconds=90, side="", team=None, attestation=ALL_WELL):
    """The Time Out read aloud, 20 s after the clock's last moment: started, its pending items
    (the case's) confirmed as spoken, ended ``seconds`` after it started."""
    clock.tick(20)
    started = workflow.start_time_out(actor=nurse, case_id=case.pk, side=side)
    items = case.steps.filter(phase="time_out", status="pending").order_by("position")
    for step in items if not side else ():
        clock.tick(seconds / 3)
        workflow.confirm_time_out_item(
            actor=nurse,
            case_id=case.pk,
            time_out_id=started.pk,
            step_id=step.pk,
            answer=workflow.Answer(status="done"),
            revision=step.revision,
        )
    clock.at = started.started_at + datetime.timedelta(seconds=seconds)
    return workflow.end_time_out(
        actor=nurse,
        case_id=case.pk,
        time_out_id=started.pk,
        team=team or time_out_team(Case.objects.get(pk=case.pk)),  # its surgeon now
        attestation=attestation,
    )


def finish(case, nurse, surgeon, clock, *, sides=("left",)) -> Case:
    """The procedure's steps minutes apart, the Sign Out count, then the surgeon signs."""
    for side in sides:
        tick_record(case, "Skin incision made", surgeon, clock, every=120, side=side)
    tick_record(case, "Wound closed", surgeon, clock, every=1800)
    tick_record(case, "Counts correct", nurse, clock, every=60)
    clock.tick(120)
    workflow.sign_out(actor=surgeon, case_id=case.pk, password=PASSWORD)
    return Case.objects.get(pk=case.pk)


def closed_case(
    procedure,
    clock,
    *,
    nurse,
    scrub,
    surgeon,
    scrub_at_time_out: bool = True,
    attestation=ALL_WELL,
    stop: bool = False,
    catch_up: bool = False,
    time_out_seconds: int = 90,
    **fields,
) -> Case:
    """A left case signed out, its facts as asked: the scrub missing at the Time Out; the
    attestations given; a Stop called and resolved after the incision, the Time Out repeated
    (``stop``); the Sign In entered in one go, 4 s a row (``catch_up``). ``fields`` go to
    ``make_case`` (its ``scheduled_start``, say)."""
    case = make_case(procedure, actor=nurse, surgeon=surgeon, laterality="left", **fields)
    sign_in(case, nurse, clock, every=4 if catch_up else 30)
    team = time_out_team(case, scrub=scrub_at_time_out)
    time_out(case, nurse, clock, seconds=time_out_seconds, team=team, attestation=attestation)
    tick_record(case, "Skin incision made", surgeon, clock, every=120, side="left")
    if stop:
        clock.tick(200)
        called = workflow.raise_concern(actor=scrub, case_id=case.pk, reason="Count unclear")
        clock.tick(90)
        workflow.resolve_concern(
            actor=surgeon, case_id=case.pk, concern_id=called.pk, resolution="Recounted"
        )
        time_out(case, nurse, clock, seconds=40, team=team, attestation=attestation)
    tick_record(case, "Wound closed", surgeon, clock, every=1800)
    tick_record(case, "Counts correct", nurse, clock, every=60)
    clock.tick(120)
    workflow.sign_out(actor=surgeon, case_id=case.pk, password=PASSWORD)
    return Case.objects.get(pk=case.pk)
