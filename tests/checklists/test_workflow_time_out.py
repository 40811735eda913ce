"""The team's Time Out read aloud (``workflow.time_out``): started, its items confirmed as spoken,
ended with the team by role and the three attestations; procedure steps wait for one that holds;
a new surgeon or a Stop makes it stale; a bilateral case's second side has its own."""

import datetime

import pytest
from django.utils import timezone

from checklists import workflow
from checklists.audit import verify_audit
from checklists.choices import AuditAction
from checklists.errors import (
    CaseLocked,
    CaseStopped,
    NotPermitted,
    RuleViolation,
    StaleRevision,
    StepGated,
    SurgeonChanged,
    TimeOutChanged,
    TimeOutNeeded,
)
from checklists.models import TimeOut
from procedures.choices import Phase
from tests.checklists.checklist_html import mi_procedure
from tests.conftest import (
    events,
    make_case,
    perform_time_out,
    plausible_value,
    record,
    record_phase,
    tamper,
    time_out_team,
)

ALL_WELL = workflow.Attestation(all_items_spoken=True, everyone_present=True, interruptions=0)


@pytest.fixture
def case(nurse, surgeon, anaesthetist, scrub):
    """A left minimally invasive case at its Time Out: Sign In and induction recorded."""
    case = make_case(mi_procedure(), actor=nurse, surgeon=surgeon, laterality="left")
    record_phase(case, Phase.SIGN_IN, nurse)
    record_phase(case, Phase.INDUCTION, anaesthetist)
    return case


@pytest.fixture
def team(case, surgeon, anaesthetist, nurse, scrub):
    return workflow.TimeOutTeam(
        surgeon=surgeon, anaesthetist=anaesthetist, circulating_nurse=nurse, scrub=scrub
    )


def items(case):
    return list(case.steps.filter(phase=Phase.TIME_OUT).order_by("position"))


def confirm(case, time_out, step, actor, *, revision=None, value=""):
    return workflow.confirm_time_out_item(
        actor=actor,
        case_id=case.pk,
        time_out_id=time_out.pk,
        step_id=step.pk,
        answer=workflow.Answer(status="done", value=value),
        revision=step.revision if revision is None else revision,
    )


def confirm_all(case, time_out, actor):
    for step in items(case):
        confirm(case, time_out, step, actor, value=plausible_value(step))


def incision(case, actor, side="left"):
    return record(case, "Lateral buttock incision made", actor, side=side, value="4")


# --- starting, confirming, ending ---------------------------------------------------------------


def test_starting_opens_the_time_out_and_writes_its_event(case, nurse):
    time_out = workflow.start_time_out(actor=nurse, case_id=case.pk)

    assert (time_out.side, time_out.started_by, time_out.in_progress) == ("", nurse, True)
    [started] = events(case, action=AuditAction.TIME_OUT_STARTED)
    assert (started.actor, started.after) == (nurse, {"time_out": time_out.pk, "side": ""})
    assert started.created_at == time_out.started_at


def test_a_second_start_is_the_same_time_out(case, nurse, scrub):
    first = workflow.start_time_out(actor=nurse, case_id=case.pk)
    again = workflow.start_time_out(actor=scrub, case_id=case.pk)  # the other tablet, a double tap

    assert again == first
    assert len(events(case, action=AuditAction.TIME_OUT_STARTED)) == 1


def test_the_time_out_waits_for_the_sign_in(nurse, surgeon):
    case = make_case(mi_procedure(), actor=nurse, surgeon=surgeon, laterality="left")

    with pytest.raises(StepGated):
        workflow.start_time_out(actor=nurse, case_id=case.pk)
    assert not TimeOut.objects.exists()


def test_a_reviewer_cannot_start_a_time_out(case, reviewer):
    with pytest.raises(NotPermitted):
        workflow.start_time_out(actor=reviewer, case_id=case.pk)


def test_no_time_out_starts_while_a_stop_stands(case, nurse, scrub):
    workflow.raise_concern(actor=scrub, case_id=case.pk, reason="Consent unclear")

    with pytest.raises(CaseStopped, match="Resolve it before the Time Out"):
        workflow.start_time_out(actor=nurse, case_id=case.pk)


def test_confirming_an_item_records_its_step_as_record_step_does(case, nurse):
    time_out = workflow.start_time_out(actor=nurse, case_id=case.pk)
    step = items(case)[0]

    recorded = confirm(case, time_out, step, nurse)

    assert (recorded.status, recorded.recorded_by, recorded.revision) == ("done", nurse, 1)
    [event] = events(case, action=AuditAction.STEP_RECORDED, step=step)
    assert event.after["status"] == "done"


def test_a_double_tap_on_an_item_changes_nothing(case, nurse):
    time_out = workflow.start_time_out(actor=nurse, case_id=case.pk)
    step = items(case)[0]
    confirm(case, time_out, step, nurse)

    confirm(case, time_out, step, nurse, revision=0)  # the same tap, from the same drawing

    assert len(events(case, action=AuditAction.STEP_RECORDED, step=step)) == 1


def test_an_item_changed_meanwhile_is_refused_as_stale(case, nurse, anaesthetist):
    time_out = workflow.start_time_out(actor=nurse, case_id=case.pk)
    step = next(s for s in items(case) if s.kind == "choice")  # the antibiotics
    for earlier in items(case)[: items(case).index(step)]:
        confirm(case, time_out, earlier, nurse)
    confirm(case, time_out, step, anaesthetist, value=step.options[0])

    with pytest.raises(StaleRevision):
        confirm(case, time_out, step, nurse, revision=0, value=step.options[1])


def test_an_item_is_confirmed_only_while_its_time_out_is_in_progress(case, nurse, team):
    time_out = workflow.start_time_out(actor=nurse, case_id=case.pk)
    confirm_all(case, time_out, nurse)
    workflow.end_time_out(
        actor=nurse, case_id=case.pk, time_out_id=time_out.pk, team=team, attestation=ALL_WELL
    )

    with pytest.raises(RuleViolation, match="has ended"):
        confirm(case, time_out, items(case)[0], nurse)


def test_ending_is_refused_while_a_required_item_is_not_confirmed(case, nurse, team):
    time_out = workflow.start_time_out(actor=nurse, case_id=case.pk)
    for step in items(case)[:-1]:
        confirm(case, time_out, step, nurse, value=plausible_value(step))

    with pytest.raises(RuleViolation, match="is not confirmed yet") as refused:
        workflow.end_time_out(
            actor=nurse, case_id=case.pk, time_out_id=time_out.pk, team=team, attestation=ALL_WELL
        )
    assert refused.value.status_code == 422
    assert TimeOut.objects.get().in_progress


def test_ending_keeps_the_team_the_attestations_and_the_duration(case, nurse, team, monkeypatch):
    start = timezone.now().replace(microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: start)
    time_out = workflow.start_time_out(actor=nurse, case_id=case.pk)
    confirm_all(case, time_out, nurse)
    monkeypatch.setattr(timezone, "now", lambda: start + datetime.timedelta(seconds=95))

    ended = workflow.end_time_out(
        actor=nurse,
        case_id=case.pk,
        time_out_id=time_out.pk,
        team=team,
        attestation=workflow.Attestation(
            all_items_spoken=False, everyone_present=True, interruptions=2
        ),
    )

    ended.refresh_from_db()
    assert ended.duration == datetime.timedelta(seconds=95)
    assert (ended.surgeon, ended.anaesthetist, ended.circulating_nurse, ended.scrub) == (
        team.surgeon,
        team.anaesthetist,
        team.circulating_nurse,
        team.scrub,
    )
    # "Not all spoken" is recorded as the team says it, never refused: it is what is measured.
    assert (ended.all_items_spoken, ended.everyone_present, ended.interruptions) == (False, True, 2)
    assert ended.interrupted and ended.holds
    [event] = events(case, action=AuditAction.TIME_OUT_ENDED)
    assert (event.actor, event.created_at) == (nurse, ended.ended_at)
    assert event.after == {
        "time_out": ended.pk,
        "surgeon": team.surgeon.pk,
        "anaesthetist": team.anaesthetist.pk,
        "circulating_nurse": team.circulating_nurse.pk,
        "scrub": team.scrub.pk,
        "all_items_spoken": False,
        "everyone_present": True,
        "interruptions": 2,
    }
    assert verify_audit().ok


def test_ending_twice_the_same_way_is_one_ending(case, nurse, team):
    ended = perform_time_out(case, nurse, team=team)

    again = workflow.end_time_out(
        actor=nurse, case_id=case.pk, time_out_id=ended.pk, team=team, attestation=ALL_WELL
    )

    assert again == ended
    assert len(events(case, action=AuditAction.TIME_OUT_ENDED)) == 1


def test_an_ending_that_differs_from_the_one_recorded_is_refused(case, nurse, team):
    ended = perform_time_out(case, nurse, team=team)
    other = workflow.Attestation(all_items_spoken=True, everyone_present=False, interruptions=1)

    with pytest.raises(TimeOutChanged, match="Nora Nurse ended this Time Out") as refused:
        workflow.end_time_out(
            actor=nurse, case_id=case.pk, time_out_id=ended.pk, team=team, attestation=other
        )
    assert refused.value.status_code == 409
    ended.refresh_from_db()
    assert ended.everyone_present is True


# --- the team -----------------------------------------------------------------------------------


def end_with(case, nurse, **people):
    time_out = perform_started(case, nurse)
    return workflow.end_time_out(
        actor=nurse,
        case_id=case.pk,
        time_out_id=time_out.pk,
        team=workflow.TimeOutTeam(**people),
        attestation=ALL_WELL,
    )


def perform_started(case, nurse):
    time_out = workflow.start_time_out(actor=nurse, case_id=case.pk)
    confirm_all(case, time_out, nurse)
    return time_out


def test_the_scrub_may_be_absent(case, nurse, surgeon, anaesthetist):
    ended = end_with(
        case, nurse, surgeon=surgeon, anaesthetist=anaesthetist, circulating_nurse=nurse
    )

    assert ended.holds and ended.scrub is None


def test_one_person_holds_one_place_in_the_team(case, nurse, surgeon, anaesthetist):
    with pytest.raises(RuleViolation, match="Nora Nurse is picked twice"):
        end_with(
            case,
            nurse,
            surgeon=surgeon,
            anaesthetist=anaesthetist,
            circulating_nurse=nurse,
            scrub=nurse,
        )


def test_each_place_is_held_by_someone_of_that_role(case, nurse, surgeon, scrub):
    with pytest.raises(RuleViolation, match="Sam Scrub is on the staff list, but not as the an"):
        end_with(case, nurse, surgeon=surgeon, anaesthetist=scrub, circulating_nurse=nurse)
    with pytest.raises(RuleViolation, match="not as the surgeon"):
        end_with(case, nurse, surgeon=nurse, anaesthetist=scrub, circulating_nurse=nurse)


def test_someone_off_the_staff_list_is_refused(case, nurse, surgeon, anaesthetist, reviewer):
    anaesthetist.is_active = False
    anaesthetist.save()

    with pytest.raises(RuleViolation, match="not on the staff list"):
        end_with(case, nurse, surgeon=surgeon, anaesthetist=anaesthetist, circulating_nurse=nurse)
    with pytest.raises(RuleViolation, match="not on the staff list"):
        end_with(case, nurse, surgeon=surgeon, anaesthetist=reviewer, circulating_nurse=nurse)


def test_interruptions_are_a_plausible_count(case, nurse, team):
    time_out = perform_started(case, nurse)
    many = workflow.Attestation(all_items_spoken=True, everyone_present=True, interruptions=100)

    with pytest.raises(RuleViolation, match="Interruptions"):
        workflow.end_time_out(
            actor=nurse, case_id=case.pk, time_out_id=time_out.pk, team=team, attestation=many
        )


# --- the gate -----------------------------------------------------------------------------------


def test_procedure_steps_wait_for_a_time_out_that_holds(case, nurse, surgeon, team):
    record_phase_items_outside_a_time_out(case, nurse)
    with pytest.raises(TimeOutNeeded, match="waits for the Time Out: start it") as refused:
        incision(case, surgeon)
    assert refused.value.status_code == 409

    time_out = workflow.start_time_out(actor=nurse, case_id=case.pk)
    with pytest.raises(TimeOutNeeded, match="Time Out in progress"):
        incision(case, surgeon)

    workflow.end_time_out(
        actor=nurse, case_id=case.pk, time_out_id=time_out.pk, team=team, attestation=ALL_WELL
    )
    assert incision(case, surgeon).status == "done"


def record_phase_items_outside_a_time_out(case, nurse):
    """The items ticked on the checklist, as before the read-aloud mode: they are recorded, and
    the Time Out still has to be performed with the team (read again, then attested)."""
    for step in items(case):
        record(case, step.title, nurse, value=plausible_value(step))


def test_a_new_surgeon_makes_the_time_out_stale_until_it_is_repeated(
    case, nurse, surgeon, other_surgeon
):
    done = perform_time_out(case, nurse)
    incision(case, surgeon)

    workflow.change_surgeon(
        actor=nurse, case_id=case.pk, surgeon=other_surgeon, reason="Called to an emergency"
    )

    done.refresh_from_db()
    assert not done.holds
    assert done.invalidated_reason == "the surgeon changed: Called to an emergency"
    assert done.invalidated_by == nurse
    changed, stale = events(case)[-2:]
    assert (changed.action, changed.before, changed.after) == (
        AuditAction.SURGEON_CHANGED,
        {"surgeon": surgeon.pk},
        {"surgeon": other_surgeon.pk, "reason": "Called to an emergency"},
    )
    assert (stale.action, stale.after) == (
        AuditAction.TIME_OUT_INVALIDATED,
        {"time_out": done.pk, "reason": "the surgeon changed: Called to an emergency"},
    )
    with pytest.raises(TimeOutNeeded, match=r"to be repeated.*the surgeon changed"):
        record(case, "Gluteal muscles dissected down to the ilium", other_surgeon, side="left")

    # Repeated: its items are recorded already; the team reads them again and attests.
    case.refresh_from_db()
    again = perform_time_out(case, nurse, team=time_out_team(case))
    assert again.surgeon == other_surgeon
    assert record(case, "Gluteal muscles dissected down to the ilium", other_surgeon, side="left")
    assert verify_audit().ok


def test_the_same_surgeon_again_changes_nothing(case, nurse, surgeon):
    done = perform_time_out(case, nurse)
    seq = events(case)[-1].seq

    workflow.change_surgeon(actor=nurse, case_id=case.pk, surgeon=surgeon, reason="Same")

    assert events(case)[-1].seq == seq
    done.refresh_from_db()
    assert done.holds


def test_a_surgeon_change_based_on_a_surgeon_changed_since_is_refused(
    case, nurse, scrub, surgeon, other_surgeon
):
    done = perform_time_out(case, nurse)
    workflow.change_surgeon(
        actor=scrub,
        case_id=case.pk,
        surgeon=other_surgeon,
        reason="Sue called away",
        seen_surgeon_id=surgeon.pk,
    )
    seq = events(case)[-1].seq

    with pytest.raises(SurgeonChanged, match="Sam Scrub made Otto Other the surgeon at"):
        workflow.change_surgeon(
            actor=nurse,
            case_id=case.pk,
            surgeon=surgeon,
            reason="Sue is back",
            seen_surgeon_id=surgeon.pk,  # the page was drawn before the first change
        )

    case.refresh_from_db()
    assert case.surgeon == other_surgeon
    assert events(case)[-1].seq == seq
    done.refresh_from_db()
    assert done.invalidated_reason == "the surgeon changed: Sue called away"


def test_a_surgeon_change_needs_a_reason_a_surgeon_and_an_open_case(case, nurse, scrub):
    with pytest.raises(RuleViolation, match="Say why"):
        workflow.change_surgeon(actor=nurse, case_id=case.pk, surgeon=scrub, reason=" ")
    with pytest.raises(RuleViolation, match="Surgeon role"):
        workflow.change_surgeon(actor=nurse, case_id=case.pk, surgeon=scrub, reason="Swap")
    workflow.cancel(actor=nurse, case_id=case.pk, reason="Patient unwell")
    with pytest.raises(CaseLocked):
        workflow.change_surgeon(actor=nurse, case_id=case.pk, surgeon=case.surgeon, reason="Swap")


def test_a_stop_after_the_time_out_makes_it_stale_and_its_resolution_is_never_held(
    case, nurse, surgeon, scrub
):
    done = perform_time_out(case, nurse)
    incision(case, surgeon)

    concern = workflow.raise_concern(actor=scrub, case_id=case.pk, reason="Wrong screw size")

    done.refresh_from_db()
    assert done.invalidated_reason == "a Stop was called: Wrong screw size"
    assert [e.action for e in events(case)[-2:]] == [
        AuditAction.CONCERN_RAISED,
        AuditAction.TIME_OUT_INVALIDATED,
    ]
    # Resolving the Stop is never held back by the stale Time Out.
    resolved = workflow.resolve_concern(
        actor=surgeon, case_id=case.pk, concern_id=concern.pk, resolution="7.0 mm fetched"
    )
    assert not resolved.is_open
    with pytest.raises(TimeOutNeeded, match="a Stop was called: Wrong screw size"):
        record(case, "Gluteal muscles dissected down to the ilium", surgeon, side="left")

    perform_time_out(case, nurse)
    assert record(case, "Gluteal muscles dissected down to the ilium", surgeon, side="left")
    assert verify_audit().ok


def test_a_stop_during_the_time_out_ends_it_unfinished(case, nurse, scrub, team):
    time_out = perform_started(case, nurse)
    workflow.raise_concern(actor=scrub, case_id=case.pk, reason="Wrong side on the list")

    with pytest.raises(TimeOutNeeded, match="no longer holds"):
        workflow.end_time_out(
            actor=nurse, case_id=case.pk, time_out_id=time_out.pk, team=team, attestation=ALL_WELL
        )


def test_a_stop_before_any_time_out_makes_nothing_stale(case, scrub):
    workflow.raise_concern(actor=scrub, case_id=case.pk, reason="Consent unclear")

    assert not events(case, action=AuditAction.TIME_OUT_INVALIDATED)


def test_a_time_out_that_holds_is_not_started_again(case, nurse):
    perform_time_out(case, nurse)

    with pytest.raises(RuleViolation, match="still holds"):
        workflow.start_time_out(actor=nurse, case_id=case.pk)


# --- the second side ----------------------------------------------------------------------------


@pytest.fixture
def bilateral(nurse, surgeon, anaesthetist, scrub):
    case = make_case(mi_procedure(), actor=nurse, surgeon=surgeon, laterality="bilateral")
    record_phase(case, Phase.SIGN_IN, nurse)
    record_phase(case, Phase.INDUCTION, anaesthetist)
    perform_time_out(case, nurse)
    return case


def test_the_second_side_waits_for_its_own_time_out(bilateral, nurse, surgeon):
    case = bilateral
    with pytest.raises(RuleViolation, match="no side's procedure step is recorded yet"):
        workflow.start_time_out(actor=nurse, case_id=case.pk, side="right")
    incision(case, surgeon, side="right")  # the team starts on the right: the left is second

    with pytest.raises(TimeOutNeeded, match="waits for the left side Time Out") as refused:
        incision(case, surgeon, side="left")
    assert refused.value.status_code == 409
    with pytest.raises(RuleViolation, match="right side was operated first"):
        workflow.start_time_out(actor=nurse, case_id=case.pk, side="right")
    assert record(case, "Gluteal muscles dissected down to the ilium", surgeon, side="right")

    side = perform_time_out(case, nurse, side="left")

    assert (side.side, side.label, side.holds) == ("left", "Left side Time Out", True)
    assert [item.title for item in workflow.side_items(case, "left")][1] == (
        "Site mark visible on the left side"
    )
    assert incision(case, surgeon, side="left").status == "done"
    assert events(case, action=AuditAction.TIME_OUT_STARTED)[-1].after == {
        "time_out": side.pk,
        "side": "left",
    }
    assert verify_audit().ok


def test_a_side_time_out_is_for_a_bilateral_case_only(case, nurse):
    perform_time_out(case, nurse)

    with pytest.raises(RuleViolation, match="bilateral case"):
        workflow.start_time_out(actor=nurse, case_id=case.pk, side="right")


def test_a_side_time_out_has_no_items_to_record(bilateral, nurse, surgeon):
    incision(bilateral, surgeon, side="left")
    side = workflow.start_time_out(actor=nurse, case_id=bilateral.pk, side="right")

    with pytest.raises(RuleViolation, match="nothing to record"):
        confirm(bilateral, side, items(bilateral)[0], nurse)


# --- the audit trail ----------------------------------------------------------------------------


def test_a_time_out_changed_behind_the_applications_back_is_named(case, nurse):
    done = perform_time_out(case, nurse)

    tamper(TimeOut, "UPDATE {table} SET interruptions = %s WHERE id = %s", 0 + 3, done.pk)

    assert [str(d) for d in verify_audit().differences] == [
        f"Case {case.pk}, Time Out {done.pk}: the chain says interruptions 0, the row says 3"
    ]


def test_a_time_out_deleted_behind_the_applications_back_is_named(case, nurse):
    done = perform_time_out(case, nurse)

    tamper(TimeOut, "DELETE FROM {table} WHERE id = %s", done.pk)

    assert [str(d) for d in verify_audit().differences] == [
        f"Case {case.pk}, Time Out {done.pk}: the chain records it, but its row is gone"
    ]


def test_a_stale_mark_removed_behind_the_applications_back_is_named(case, nurse, scrub):
    done = perform_time_out(case, nurse)
    workflow.raise_concern(actor=scrub, case_id=case.pk, reason="Count wrong")

    tamper(
        TimeOut,
        "UPDATE {table} SET invalidated_at = NULL, invalidated_by_id = NULL, "
        "invalidated_reason = '' WHERE id = %s",
        done.pk,
    )

    [difference] = [str(d) for d in verify_audit().differences]
    assert difference.startswith(f"Case {case.pk}, Time Out {done.pk}: the chain says made stale")
