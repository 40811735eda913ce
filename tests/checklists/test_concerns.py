"""A Stop anyone in the room calls (a ``Concern``): procedure steps wait for it, tablets and the
review record show it, the audit trail keeps who called it, why, and how it was resolved."""

import pytest
from django.contrib.messages import get_messages

from checklists import workflow
from checklists.audit import verify_audit
from checklists.choices import AuditAction
from checklists.errors import (
    CaseLocked,
    CaseStopped,
    NotFound,
    NotPermitted,
    RuleViolation,
    TimeOutNeeded,
)
from checklists.models import Concern
from procedures.choices import Phase
from tests.checklists.checklist_html import mi_procedure
from tests.conftest import events, make_case, perform_time_out, record_phase, tamper


@pytest.fixture
def case(nurse, surgeon, anaesthetist):
    """A left minimally invasive case at its procedure: Sign In to the Time Out recorded."""
    case = make_case(mi_procedure(), actor=nurse, surgeon=surgeon, laterality="left")
    record_phase(case, Phase.SIGN_IN, nurse)
    record_phase(case, Phase.INDUCTION, anaesthetist)
    record_phase(case, Phase.TIME_OUT, nurse)
    return case


def procedure_step(case):
    return case.steps.filter(phase=Phase.PROCEDURE, status="pending").order_by("position").first()


def record_procedure_step(case, actor):
    step = procedure_step(case)
    answer = workflow.Answer(status="done", value="4" if step.kind == "number" else "")
    return workflow.record_step(
        actor=actor, case_id=case.pk, step_id=step.pk, answer=answer, revision=step.revision
    )


def test_a_stop_holds_the_procedure_steps_until_it_is_resolved(case, scrub, nurse, surgeon):
    concern = workflow.raise_concern(actor=scrub, case_id=case.pk, reason="Wrong screw size")

    with pytest.raises(CaseStopped, match="Sam Scrub called a Stop: “Wrong screw size”"):
        record_procedure_step(case, surgeon)
    assert CaseStopped.status_code == 409

    resolved = workflow.resolve_concern(
        actor=nurse, case_id=case.pk, concern_id=concern.pk, resolution="7.0 mm fetched"
    )
    assert (resolved.resolved_by, resolved.resolution) == (nurse, "7.0 mm fetched")
    with pytest.raises(TimeOutNeeded, match="no longer holds"):  # called after the Time Out
        record_procedure_step(case, surgeon)
    perform_time_out(case, nurse)
    assert record_procedure_step(case, surgeon).status == "done"
    raised, done = events(
        case, action__in=[AuditAction.CONCERN_RAISED, AuditAction.CONCERN_RESOLVED]
    )
    assert (raised.actor, raised.after) == (
        scrub,
        {"concern": concern.pk, "reason": "Wrong screw size"},
    )
    assert (done.actor, done.after) == (
        nurse,
        {"concern": concern.pk, "resolution": "7.0 mm fetched"},
    )
    assert verify_audit().ok


def test_steps_of_other_phases_go_on_while_a_stop_stands(nurse, surgeon, scrub):
    case = make_case(mi_procedure(), actor=nurse, surgeon=surgeon, laterality="left")
    workflow.raise_concern(actor=scrub, case_id=case.pk, reason="Consent unclear")

    record_phase(case, Phase.SIGN_IN, nurse)  # Sign In is how a concern gets sorted out

    assert not case.steps.filter(phase=Phase.SIGN_IN, status="pending").exists()


def test_each_call_and_resolution_bumps_the_version_the_tablets_poll(case, scrub):
    case.refresh_from_db()
    version = case.version

    concern = workflow.raise_concern(actor=scrub, case_id=case.pk, reason="Count wrong")
    workflow.resolve_concern(
        actor=scrub, case_id=case.pk, concern_id=concern.pk, resolution="Recounted"
    )

    case.refresh_from_db()
    assert case.version == version + 3  # the call, the Time Out it made stale, the resolution


def test_of_two_stops_standing_the_refusal_names_the_one_called_first(case, scrub, nurse, surgeon):
    workflow.raise_concern(actor=scrub, case_id=case.pk, reason="Wrong screw size")
    workflow.raise_concern(actor=nurse, case_id=case.pk, reason="Count wrong")

    with pytest.raises(CaseStopped, match="Sam Scrub called a Stop: “Wrong screw size”"):
        record_procedure_step(case, surgeon)


def test_a_double_tap_calls_one_stop_and_resolves_it_once(case, scrub, nurse):
    first = workflow.raise_concern(actor=scrub, case_id=case.pk, reason="Count wrong")
    again = workflow.raise_concern(actor=nurse, case_id=case.pk, reason="Count wrong")
    assert again == first
    workflow.resolve_concern(
        actor=nurse, case_id=case.pk, concern_id=first.pk, resolution="Recounted"
    )
    workflow.resolve_concern(actor=scrub, case_id=case.pk, concern_id=first.pk, resolution="Again")

    assert Concern.objects.count() == 1
    assert len(events(case, action=AuditAction.CONCERN_RAISED)) == 1
    assert len(events(case, action=AuditAction.CONCERN_RESOLVED)) == 1
    first.refresh_from_db()
    assert (first.resolved_by, first.resolution) == (nurse, "Recounted")


@pytest.mark.parametrize("reason", ["", "   ", "x" * 201, "a\x00b"])
def test_a_stop_needs_a_few_plain_words(case, scrub, reason):
    with pytest.raises(RuleViolation):
        workflow.raise_concern(actor=scrub, case_id=case.pk, reason=reason)
    assert not Concern.objects.exists()


def test_a_reviewer_cannot_call_or_resolve_a_stop(case, reviewer, scrub):
    with pytest.raises(NotPermitted):
        workflow.raise_concern(actor=reviewer, case_id=case.pk, reason="Looks odd")
    concern = workflow.raise_concern(actor=scrub, case_id=case.pk, reason="Count wrong")
    with pytest.raises(NotPermitted):
        workflow.resolve_concern(
            actor=reviewer, case_id=case.pk, concern_id=concern.pk, resolution="x"
        )


def test_another_cases_stop_is_not_resolved_through_this_one(case, nurse, surgeon, scrub):
    other = make_case(mi_procedure(), actor=nurse, surgeon=surgeon, room="OR 5")
    concern = workflow.raise_concern(actor=scrub, case_id=other.pk, reason="Count wrong")

    with pytest.raises(NotFound):
        workflow.resolve_concern(
            actor=scrub, case_id=case.pk, concern_id=concern.pk, resolution="x"
        )
    concern.refresh_from_db()
    assert concern.is_open


def test_a_cancelled_case_takes_no_stop(case, nurse, scrub):
    workflow.cancel(actor=nurse, case_id=case.pk, reason="Patient unwell")

    with pytest.raises(CaseLocked):
        workflow.raise_concern(actor=scrub, case_id=case.pk, reason="Count wrong")


def test_a_stops_row_changed_behind_the_applications_back_is_named(case, scrub):
    concern = workflow.raise_concern(actor=scrub, case_id=case.pk, reason="Count wrong")

    tamper(Concern, "UPDATE {table} SET reason = %s WHERE id = %s", "Nothing", concern.pk)

    differences = [str(d) for d in verify_audit().differences]
    assert differences == [
        f"Case {case.pk}, Stop {concern.pk} called by the team: "
        "its reason is not what the chain says (free text, not shown here)"
    ]


def test_a_stop_deleted_behind_the_applications_back_is_named(case, scrub):
    concern = workflow.raise_concern(actor=scrub, case_id=case.pk, reason="Count wrong")

    tamper(Concern, "DELETE FROM {table} WHERE id = %s", concern.pk)

    differences = [str(d) for d in verify_audit().differences]
    assert differences == [
        f"Case {case.pk}, Stop {concern.pk} called by the team: "
        "the chain records it, but its row is gone"
    ]


# --- on the tablet --------------------------------------------------------------------------


def test_the_tablet_calls_a_stop_shows_it_and_refuses_procedure_steps(client, case, scrub):
    client.force_login(scrub)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Stop: call a concern…" in page

    called = client.post(f"/cases/{case.pk}/stop/", {"reason": "Wrong screw size"})

    assert called.status_code == 302
    assert [str(m) for m in get_messages(called.wsgi_request)] == [
        "Stop called. Procedure steps wait until it is resolved."
    ]
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "called by Sam Scrub at" in page and "“Wrong screw size”" in page
    step = procedure_step(case)
    refused = client.post(
        f"/cases/{case.pk}/steps/{step.pk}/",
        {"status": "done", "value": "4", "revision": step.revision},
        HTTP_HX_REQUEST="true",
    )
    assert refused.status_code == 409
    assert "Procedure steps wait until it is resolved." in refused.content.decode()

    concern = Concern.objects.get()
    resolved = client.post(
        f"/cases/{case.pk}/stop/{concern.pk}/resolved/", {"resolution": "7.0 mm fetched"}
    )
    assert resolved.status_code == 302
    assert "called by Sam Scrub" not in client.get(f"/cases/{case.pk}/").content.decode()


@pytest.mark.parametrize(
    ("url", "data", "message"),
    [
        ("stop/", {"reason": ""}, "Say in a few words why you call the Stop."),
        ("stop/", {"reason": "x" * 201}, "Ensure this value has at most 200 characters"),
        ("stop/999999/resolved/", {"resolution": "x"}, "That Stop is not part of this case."),
        ("stop/1/resolved/", {"resolution": ""}, "Say how the Stop was resolved."),
    ],
)
def test_bad_input_is_a_message_and_changes_nothing(client, case, scrub, url, data, message):
    client.force_login(scrub)

    response = client.post(f"/cases/{case.pk}/{url}", data)

    assert response.status_code == 302
    assert message in " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert not Concern.objects.exists()


def test_the_review_record_lists_the_stops_and_the_chain_verifies(
    client, case, scrub, nurse, reviewer
):
    concern = workflow.raise_concern(actor=scrub, case_id=case.pk, reason="Wrong screw size")
    workflow.resolve_concern(
        actor=nurse, case_id=case.pk, concern_id=concern.pk, resolution="7.0 mm fetched"
    )
    client.force_login(reviewer)

    page = client.get(f"/review/{case.pk}/").content.decode()

    assert "Stops called by the team" in page
    assert "Wrong screw size" in page and "7.0 mm fetched" in page
    assert "Stop called: Wrong screw size" in page  # the audit trail
    assert "Stop resolved: 7.0 mm fetched" in page
    assert "Audit chain verified" in page
