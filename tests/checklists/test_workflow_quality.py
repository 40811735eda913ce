"""A closed case's quality facts (``checklists.quality``), stored by the workflow as the case
closes: the Time Out's duration, its team and attestations, the Stops, the Time Outs repeated,
and whether the checklist was recorded after the fact. Every case here is worked through the
real workflow calls under a clock the test moves, as a team's tablet would over the case."""

import datetime

import pytest
from django.core.management import call_command

from checklists import quality, workflow
from checklists.choices import AuditAction
from checklists.models import CaseQuality, CaseStep
from tests.conftest import PASSWORD, events, make_case, tamper, time_out_team
from tests.timed_cases import (
    SIGN_IN,
    START,
    Clock,
    finish,
    sign_in,
    tick_record,
    time_out,
    timed_procedure,
)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def procedure(db):
    return timed_procedure()


@pytest.fixture
def case(procedure, nurse, surgeon, clock):
    return make_case(procedure, actor=nurse, surgeon=surgeon, laterality="left")


def stored(case) -> CaseQuality:
    return CaseQuality.objects.get(case=case)


# --- a case done well, and each fact on its own ------------------------------------------


def test_a_case_checked_as_it_went_is_stored_at_sign_out(case, nurse, surgeon, clock):
    sign_in(case, nurse, clock)
    time_out(case, nurse, clock, seconds=95)
    finish(case, nurse, surgeon, clock)

    facts = stored(case)
    assert facts.time_out_seconds == 95
    assert (facts.full_team, facts.attested_well, facts.interruptions) == (True, True, 0)
    assert (facts.stops, facts.longest_stop_seconds, facts.time_outs_repeated) == (0, None, 0)
    assert (facts.steps_after_closing, facts.recorded_after_the_fact) == (0, False)
    assert facts.busiest_minute_steps == 3  # a step every 30 s: at 0, 30 and 60 s
    assert len(events(case, action=AuditAction.SIGNED_OUT)) == 1


def test_nothing_is_stored_while_the_case_is_open(case, nurse, clock):
    sign_in(case, nurse, clock)

    assert not CaseQuality.objects.exists()


def test_a_time_out_without_a_scrub_is_not_the_full_team(case, nurse, surgeon, clock):
    sign_in(case, nurse, clock)
    time_out(case, nurse, clock, team=time_out_team(case, scrub=False))
    finish(case, nurse, surgeon, clock)

    facts = stored(case)
    assert (facts.surgeon_present, facts.anaesthetist_present) == (True, True)
    assert (facts.circulating_nurse_present, facts.scrub_present) == (True, False)
    assert facts.full_team is False


def test_the_attestations_are_kept_as_the_team_gave_them(case, nurse, surgeon, clock):
    sign_in(case, nurse, clock)
    given = workflow.Attestation(all_items_spoken=False, everyone_present=True, interruptions=2)
    time_out(case, nurse, clock, attestation=given)
    finish(case, nurse, surgeon, clock)

    facts = stored(case)
    assert (facts.all_items_spoken, facts.everyone_present, facts.interruptions) == (False, True, 2)
    assert facts.attested_well is False


def test_a_stop_is_counted_with_its_length_and_the_time_out_it_made_stale_repeated(
    case, nurse, scrub, surgeon, clock
):
    sign_in(case, nurse, clock)
    time_out(case, nurse, clock, seconds=95)
    tick_record(case, "Skin incision made", surgeon, clock, every=120, side="left")
    clock.tick(300)
    stop = workflow.raise_concern(actor=scrub, case_id=case.pk, reason="Implant size unclear")
    clock.tick(150)
    workflow.resolve_concern(
        actor=surgeon, case_id=case.pk, concern_id=stop.pk, resolution="Right size fetched"
    )
    time_out(case, nurse, clock, seconds=40)  # the team repeats it before going on
    tick_record(case, "Wound closed", surgeon, clock, every=600)
    tick_record(case, "Counts correct", nurse, clock, every=60)
    clock.tick(60)
    workflow.sign_out(actor=surgeon, case_id=case.pk, password=PASSWORD)

    facts = stored(case)
    assert (facts.stops, facts.longest_stop_seconds) == (1, 150)
    assert facts.time_outs_repeated == 1
    assert facts.time_out_seconds == 95  # the first Time Out's, not the repeat's
    assert len(events(case, action=AuditAction.TIME_OUT_INVALIDATED)) == 1


def test_a_new_surgeon_repeats_the_time_out(case, nurse, surgeon, other_surgeon, clock):
    sign_in(case, nurse, clock)
    time_out(case, nurse, clock)
    clock.tick(60)
    workflow.change_surgeon(
        actor=nurse, case_id=case.pk, surgeon=other_surgeon, reason="Called to an emergency"
    )
    time_out(case, nurse, clock, seconds=50)
    finish(case, nurse, other_surgeon, clock)

    facts = stored(case)
    assert (facts.time_outs_repeated, facts.stops) == (1, 0)


def test_a_bilateral_cases_side_time_out_is_required_not_repeated_and_needs_the_team(
    procedure, nurse, surgeon, clock
):
    case = make_case(procedure, actor=nurse, surgeon=surgeon, laterality="bilateral")
    sign_in(case, nurse, clock)
    time_out(case, nurse, clock, seconds=100)
    tick_record(case, "Skin incision made", surgeon, clock, every=120, side="left")
    time_out(case, nurse, clock, seconds=30, side="right", team=time_out_team(case, scrub=False))
    finish(case, nurse, surgeon, clock, sides=("right",))

    facts = stored(case)
    assert facts.time_outs_repeated == 0
    assert facts.time_out_seconds == 100  # the case's own, not the side's
    assert facts.scrub_present is False  # missing at the side's Time Out


# --- recorded after the fact ------------------------------------------------------------------


def test_a_catch_up_entry_is_recorded_after_the_fact(case, nurse, surgeon, clock):
    sign_in(case, nurse, clock, every=4)  # nine rows tapped down in 36 s
    time_out(case, nurse, clock)
    finish(case, nurse, surgeon, clock)

    facts = stored(case)
    assert facts.busiest_minute_steps == 9
    assert facts.recorded_after_the_fact is True


@pytest.mark.parametrize(
    ("every", "flagged"),
    [(8.5, True), (8.8, False)],  # eight steps: seven gaps of 59.5 s, or of 61.6 s
    ids=["eight-within-a-minute", "eight-in-just-over-a-minute"],
)
def test_eight_steps_within_a_minute_are_the_threshold(case, nurse, surgeon, clock, every, flagged):
    for title in SIGN_IN[:8]:
        tick_record(case, title, nurse, clock, every=every)
    tick_record(case, SIGN_IN[8], nurse, clock, every=90)
    time_out(case, nurse, clock)
    finish(case, nurse, surgeon, clock)

    facts = stored(case)
    assert facts.busiest_minute_steps == (8 if flagged else 7)
    assert facts.recorded_after_the_fact is flagged


def test_time_out_items_confirmed_as_they_are_spoken_are_not_a_catch_up(
    case, nurse, surgeon, clock
):
    for title in SIGN_IN[:3]:
        tick_record(case, title, nurse, clock, every=120)
    for title in SIGN_IN[3:]:
        tick_record(case, title, nurse, clock, every=5)  # six quick ones, after a slow one
    time_out(case, nurse, clock, seconds=6)  # started 20 s later; two items 2 s apart

    finish(case, nurse, surgeon, clock)

    facts = stored(case)
    assert facts.busiest_minute_steps == 7  # nine with the two read aloud, not counted
    assert facts.recorded_after_the_fact is False


def test_an_amendment_changes_no_fact(case, nurse, surgeon, clock):
    sign_in(case, nurse, clock)
    time_out(case, nurse, clock)
    finish(case, nurse, surgeon, clock)
    before = stored(case)
    clock.tick(3 * 3600)
    step = case.steps.get(title="Wound closed")
    workflow.amend(
        actor=surgeon,
        case_id=case.pk,
        step_id=step.pk,
        answer=workflow.Answer(status="done", note="Closed in layers"),
        revision=step.revision,
        reason="Note added from the operative record",
        password=PASSWORD,
    )
    assert CaseStep.objects.get(pk=step.pk).recorded_at == clock.at  # the amendment's time

    quality.rebuild()

    after = stored(case)
    assert (after.steps_after_closing, after.recorded_after_the_fact) == (0, False)
    assert _facts(after) == _facts(before)


def test_a_step_recorded_after_the_case_closed_is_found_by_a_rebuild(case, nurse, surgeon, clock):
    sign_in(case, nurse, clock)
    time_out(case, nurse, clock)
    signed = finish(case, nurse, surgeon, clock)
    late = signed.completed_at + datetime.timedelta(minutes=20)
    # Written around the workflow (which refuses any change to a signed case but amendments).
    tamper(CaseStep, "UPDATE {table} SET recorded_at = %s WHERE id = %s", late, _step(case).pk)

    call_command("rebuild_case_quality", stdout=_Quiet())

    facts = stored(case)
    assert (facts.steps_after_closing, facts.recorded_after_the_fact) == (1, True)


# --- cancelled, and rebuilt -------------------------------------------------------------------


def test_a_cancelled_case_keeps_its_facts(case, nurse, scrub, clock):
    sign_in(case, nurse, clock)
    clock.tick(60)
    workflow.raise_concern(actor=scrub, case_id=case.pk, reason="Patient's consent unclear")
    clock.tick(600)
    workflow.cancel(actor=nurse, case_id=case.pk, reason="Consent to be taken again")

    facts = stored(case)
    assert (facts.stops, facts.longest_stop_seconds) == (1, 600)  # standing until cancelled
    assert (facts.time_out_seconds, facts.full_team, facts.scrub_present) == (None, None, None)
    assert facts.recorded_after_the_fact is False
    assert len(events(case, action=AuditAction.CANCELLED)) == 1


def test_the_rebuild_writes_every_closed_case_again_and_no_open_one(
    case, procedure, nurse, surgeon, clock
):
    sign_in(case, nurse, clock)
    time_out(case, nurse, clock)
    finish(case, nurse, surgeon, clock)
    kept = _facts(stored(case))
    open_case = make_case(procedure, actor=nurse, surgeon=surgeon)
    sign_in(open_case, nurse, clock)
    CaseQuality.objects.all().delete()

    written = quality.rebuild()

    assert written == 1
    assert _facts(stored(case)) == kept
    assert not CaseQuality.objects.filter(case=open_case).exists()


# --- the rules on their own -------------------------------------------------------------------


def test_the_busiest_window_counts_both_ends():
    at = [START + datetime.timedelta(seconds=s) for s in (0, 30, 60, 61, 200)]

    assert quality.busiest_window(at, quality.BURST_WINDOW) == 3  # 0, 30 and 60
    assert quality.busiest_window([], quality.BURST_WINDOW) == 0


def test_an_open_stop_lasts_until_the_case_closed_and_unknown_while_open():
    stop = quality.StopFacts(START, None)
    closed = quality.quality_of(
        time_outs=[], stops=[stop], steps=[], closed_at=START + datetime.timedelta(seconds=75)
    )
    still_open = quality.quality_of(time_outs=[], stops=[stop], steps=[], closed_at=None)

    assert (closed.stops, closed.longest_stop_seconds) == (1, 75)
    assert (still_open.stops, still_open.longest_stop_seconds) == (1, None)


def _facts(row: CaseQuality) -> tuple:
    return tuple(getattr(row, name) for name in quality.QUALITY_FIELDS)


def _step(case) -> CaseStep:
    return case.steps.get(title="Counts correct")


class _Quiet:
    def write(self, text: str) -> None:
        pass
