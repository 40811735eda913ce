import pytest
from django.contrib.messages import get_messages

from checklists import selectors, workflow
from checklists.choices import AuditAction, CaseStatus
from checklists.models import Signature
from procedures.models import Procedure
from tests.conftest import PASSWORD, events, make_case, make_procedure, record

STEPS = (
    {"title": "Identity confirmed", "phase": "sign_in", "hard_stop": True},
    {"title": "Incision", "kind": "number", "unit": "cm", "min_value": 3, "max_value": 5},
    {"title": "Counts correct", "phase": "sign_out", "kind": "yes_no", "expected_answer": "yes"},
    {"title": "Specimens labelled", "phase": "sign_out", "required": False},
)
STATEMENT = (
    "By signing, I confirm the case record is complete and accurate: Case signed out by surgeon."
)
PASSWORD_FIELD = b'autocomplete="current-password"'


@pytest.fixture
def case(nurse, surgeon):
    """A case under way: its first step recorded, the rest still to do."""
    case = make_case(make_procedure(*STEPS), actor=nurse, surgeon=surgeon)
    record(case, "Identity confirmed", nurse)
    return case


@pytest.fixture
def ready(case, nurse, scrub):
    """A case with every required step recorded."""
    record(case, "Incision", nurse, value="4")
    record(case, "Counts correct", scrub, value="yes")
    return case


def url(case) -> str:
    return f"/cases/{case.pk}/sign-out/"


def sign(client, case, password=PASSWORD):
    return client.post(url(case), {"password": password}, HTTP_USER_AGENT="Tablet/1.0")


def test_it_lists_what_is_missing_with_a_link_to_each_row(client, nurse, case):
    client.force_login(nurse)

    response = client.get(url(case))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Still missing: 2 steps" in html
    for title in ("Incision", "Counts correct"):
        step = case.steps.get(title=title)
        assert f'<a href="/cases/{case.pk}/#step-{step.pk}">{title}</a>' in html
    assert "Specimens labelled" not in html  # optional: not missing
    assert STATEMENT in html


def test_a_wrong_answer_is_listed_as_a_stop_until_a_surgeon_overrides_it(
    client, surgeon, case, nurse
):
    record(case, "Incision", nurse, value="4")
    counts = record(case, "Counts correct", nurse, value="no")
    client.force_login(surgeon)

    response = client.get(url(case))

    html = response.content.decode()
    assert "Still missing: 1 step" in html
    assert "Stop: answered No — expected Yes. Change the answer, or a surgeon overrides" in html
    assert PASSWORD_FIELD not in response.content
    workflow.override_stop(
        actor=surgeon, case_id=case.pk, step_id=counts.pk, revision=1, reason="Recounted"
    )
    response = client.get(url(case))
    assert b"Nothing is missing" in response.content
    assert PASSWORD_FIELD in response.content


def test_a_reviewer_sees_what_is_missing_but_no_password_field(client, reviewer, ready):
    client.force_login(reviewer)

    response = client.get(url(ready))

    assert response.status_code == 200
    assert b"Nothing is missing" in response.content
    assert b"Only a surgeon can sign the case." in response.content
    assert b'type="password"' not in response.content


def test_the_surgeon_gets_the_password_field_once_nothing_is_missing(client, surgeon, ready):
    client.force_login(surgeon)

    response = client.get(url(ready))

    assert response.status_code == 200
    assert PASSWORD_FIELD in response.content
    assert b'type="password"' in response.content
    assert STATEMENT in response.content.decode()
    assert b"Signing as <strong>Sue Surgeon</strong>" in response.content


def test_signing_out_completes_the_case_and_returns_to_the_checklist(client, surgeon, ready):
    client.force_login(surgeon)

    response = sign(client, ready)

    assert response.status_code == 302
    assert response.url == f"/cases/{ready.pk}/"
    ready.refresh_from_db()
    assert ready.status == CaseStatus.COMPLETED
    signature = Signature.objects.get(case=ready)
    assert (signature.signer, signature.printed_name) == (surgeon, "Sue Surgeon")
    event = events(ready)[-1]
    assert (event.action, event.actor) == (AuditAction.SIGNED_OUT, surgeon)
    assert (event.remote_addr, event.user_agent) == ("127.0.0.1", "Tablet/1.0")
    [message] = get_messages(response.wsgi_request)
    assert "Case signed by Sue Surgeon" in str(message)


def test_a_wrong_password_is_refused_with_a_message_and_audited(client, surgeon, ready):
    client.force_login(surgeon)

    response = sign(client, ready, password="not-my-password")

    assert response.status_code == 403
    assert b"The password is not right. The case was not signed." in response.content
    assert b"not-my-password" not in response.content
    assert PASSWORD_FIELD in response.content  # to try again
    ready.refresh_from_db()
    assert ready.status == CaseStatus.IN_PROGRESS
    assert not ready.signatures.exists()
    event = events(ready)[-1]
    assert (event.action, event.actor) == (AuditAction.SIGNATURE_REFUSED, surgeon)
    assert event.remote_addr == "127.0.0.1"


def test_an_empty_password_is_asked_for_and_not_counted_as_a_refusal(client, surgeon, ready):
    client.force_login(surgeon)
    before = len(events(ready))

    response = sign(client, ready, password="")

    assert response.status_code == 422
    assert b"Enter your password to sign." in response.content
    assert len(events(ready)) == before


def test_signing_with_steps_missing_is_blocked_and_lists_them(client, surgeon, case):
    client.force_login(surgeon)

    response = sign(client, case)

    assert response.status_code == 422
    html = response.content.decode()
    assert "The case cannot be signed out yet. Still missing: Incision; Counts correct." in html
    incision = case.steps.get(title="Incision")
    assert f'href="/cases/{case.pk}/#step-{incision.pk}"' in html
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    assert events(case)[-1].action == AuditAction.STEP_RECORDED


def test_a_nurse_cannot_sign_as_herself(client, nurse, ready):
    client.force_login(nurse)

    response = sign(client, ready)  # a password, and no surgeon chosen

    assert response.status_code == 422
    assert b"Choose the surgeon who signs." in response.content
    ready.refresh_from_db()
    assert ready.status == CaseStatus.IN_PROGRESS
    assert events(ready)[-1].action == AuditAction.STEP_RECORDED


def test_a_reviewer_may_look_but_not_sign(client, reviewer, ready):
    client.force_login(reviewer)

    assert client.get(url(ready)).status_code == 200
    assert sign(client, ready).status_code == 403
    assert not ready.signatures.exists()


def test_a_case_with_nothing_recorded_cannot_be_signed_yet(client, nurse, surgeon):
    case = make_case(make_procedure(*STEPS), actor=nurse, surgeon=surgeon)
    client.force_login(surgeon)

    response = sign(client, case)

    assert response.status_code == 409
    assert b"Nothing has been recorded yet" in response.content
    assert events(case)[-1].action == AuditAction.CASE_CREATED


def test_a_completed_case_shows_it_is_locked_with_its_signature(client, surgeon, ready):
    workflow.sign_out(actor=surgeon, case_id=ready.pk, password=PASSWORD)
    client.force_login(surgeon)

    response = client.get(url(ready))

    assert response.status_code == 200
    assert b"Signed by the surgeon and locked." in response.content
    assert b'<dd class="signature-name">Sue Surgeon</dd>' in response.content
    assert b"Case signed out by surgeon" in response.content
    assert PASSWORD_FIELD not in response.content


def test_signing_a_completed_case_again_is_a_conflict(client, surgeon, ready):
    workflow.sign_out(actor=surgeon, case_id=ready.pk, password=PASSWORD)
    client.force_login(surgeon)

    response = sign(client, ready)

    assert response.status_code == 409
    assert b"This case is signed out and locked." in response.content
    assert ready.signatures.count() == 1


def test_a_cancelled_case_says_it_cannot_be_signed(client, nurse, surgeon, case):
    workflow.cancel(actor=nurse, case_id=case.pk, reason="Patient unwell")
    client.force_login(surgeon)

    response = client.get(url(case))

    assert b"This case was cancelled" in response.content
    assert b"Patient unwell" in response.content
    assert PASSWORD_FIELD not in response.content


def test_an_unknown_case_is_not_found(client, surgeon, db):
    client.force_login(surgeon)

    assert client.get("/cases/999999/sign-out/").status_code == 404
    assert client.post("/cases/999999/sign-out/", {"password": PASSWORD}).status_code == 404


def test_the_whole_minimally_invasive_case_signs_out(client, nurse, surgeon):
    procedure = Procedure.objects.get(slug="si-fusion-minimally-invasive")
    case = make_case(procedure, actor=nurse, surgeon=surgeon, laterality="right")
    client.force_login(surgeon)

    response = client.get(url(case))

    missing = workflow.missing_for_sign_out(case)
    assert len(response.context["missing"]) == len(missing) > 10
    for step in missing:
        assert f'href="/cases/{case.pk}/#step-{step.pk}"'.encode() in response.content


def test_signatures_for_lists_a_cases_signatures_oldest_first(surgeon, ready):
    signature = workflow.sign_out(actor=surgeon, case_id=ready.pk, password=PASSWORD)

    assert list(selectors.signatures_for(ready)) == [signature]


def test_after_five_wrong_passwords_the_page_says_signing_is_locked(client, surgeon, ready):
    client.force_login(surgeon)
    for _ in range(5):
        assert sign(client, ready, password="guess").status_code == 403

    response = sign(client, ready)

    assert response.status_code == 429
    assert "Too many wrong passwords: signing is locked for you until" in response.text
    assert not Signature.objects.filter(case=ready).exists()
