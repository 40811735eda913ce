import pytest
from django.contrib.messages import get_messages

from checklists import workflow
from checklists.choices import AuditAction, CaseStatus
from tests.conftest import PASSWORD, events, make_case, make_procedure, record


@pytest.fixture
def case(nurse, surgeon):
    return make_case(make_procedure({"title": "Identity confirmed"}), actor=nurse, surgeon=surgeon)


def cancel(client, case, reason="Patient unwell"):
    return client.post(f"/cases/{case.pk}/cancel/", {"reason": reason})


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_it_cancels_the_case_with_its_reason_and_returns_to_it(client, nurse, case):
    client.force_login(nurse)

    response = cancel(client, case)

    assert response.status_code == 302
    assert response.url == f"/cases/{case.pk}/"
    case.refresh_from_db()
    assert (case.status, case.cancel_reason) == (CaseStatus.CANCELLED, "Patient unwell")
    event = events(case)[-1]
    assert (event.action, event.actor, event.remote_addr) == (
        AuditAction.CANCELLED,
        nurse,
        "127.0.0.1",
    )
    assert messages_of(response) == ["The case was cancelled. Its record is kept, read-only."]


def test_a_reason_is_required(client, nurse, case):
    client.force_login(nurse)

    response = cancel(client, case, reason="   ")

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.SCHEDULED
    assert len(events(case)) == 1
    assert messages_of(response) == ["Give a reason for cancelling the case."]


def test_a_signed_case_cannot_be_cancelled(client, nurse, surgeon, case):
    record(case, "Identity confirmed", nurse)
    workflow.sign_out(actor=surgeon, case_id=case.pk, password=PASSWORD)
    client.force_login(nurse)

    response = cancel(client, case)

    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    assert events(case)[-1].action == AuditAction.SIGNED_OUT
    assert messages_of(response) == [
        "This case is signed out and locked. A change now needs an amendment by a surgeon."
    ]


def test_a_reviewer_cannot_cancel(client, reviewer, case):
    client.force_login(reviewer)

    assert cancel(client, case).status_code == 403
    case.refresh_from_db()
    assert case.status == CaseStatus.SCHEDULED


def test_it_answers_only_a_post(client, nurse, case):
    client.force_login(nurse)

    assert client.get(f"/cases/{case.pk}/cancel/").status_code == 405


def test_an_unknown_case_is_not_found(client, nurse, db):
    client.force_login(nurse)

    assert client.post("/cases/999999/cancel/", {"reason": "Typo"}).status_code == 404
