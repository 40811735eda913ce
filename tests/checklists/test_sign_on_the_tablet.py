"""The surgeon signs on the circulating nurse's tablet, by name and password, without taking
the tablet over: the signature is the surgeon's, and the tablet stays with the nurse."""

import pytest

from checklists.choices import AuditAction, CaseStatus
from tests.checklists.test_sign_out_page import STEPS, url
from tests.conftest import PASSWORD, events, make_case, make_procedure, record


@pytest.fixture
def ready(nurse, scrub, surgeon):
    case = make_case(make_procedure(*STEPS), actor=nurse, surgeon=surgeon)
    record(case, "Identity confirmed", nurse)
    record(case, "Incision", nurse, value="4")
    record(case, "Counts correct", scrub, value="yes")
    return case


def sign(client, case, signer, password=PASSWORD):
    data = {"signer": signer.pk if signer else "", "password": password}
    return client.post(url(case), data, HTTP_USER_AGENT="Tablet/1.0")


def test_the_nurses_tablet_offers_the_cases_surgeon_to_sign(
    client, nurse, surgeon, other_surgeon, ready
):
    client.force_login(nurse)

    response = client.get(url(ready))

    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.fields["signer"].queryset) == [other_surgeon, surgeon]  # by last name
    assert form["signer"].value() == surgeon.pk  # the case's, chosen
    html = response.content.decode()
    assert "The surgeon&#x27;s password" in html
    assert 'autocomplete="off"' in html  # not offered to the nurse's browser to keep
    assert "the tablet stays with <strong>Nora Nurse</strong>" in html
    assert 'data-then-focus="[name=password]"' in html


def test_the_surgeon_signs_and_the_tablet_stays_with_the_nurse(client, nurse, surgeon, ready):
    client.force_login(nurse)

    response = sign(client, ready, surgeon)

    assert response.status_code == 302
    assert response["Location"] == f"/cases/{ready.pk}/"
    ready.refresh_from_db()
    assert ready.status == CaseStatus.COMPLETED
    signature = ready.signatures.get()
    assert (signature.signer, signature.printed_name) == (surgeon, "Sue Surgeon")
    signed = events(ready)[-1]
    assert (signed.action, signed.actor) == (AuditAction.SIGNED_OUT, surgeon)
    page = client.get(f"/cases/{ready.pk}/")
    assert page.context["user"] == nurse
    assert "Case signed by Sue Surgeon at" in page.content.decode()


def test_another_surgeon_may_sign(client, nurse, other_surgeon, ready):
    client.force_login(nurse)

    assert sign(client, ready, other_surgeon).status_code == 302

    assert ready.signatures.get().signer == other_surgeon


def test_a_wrong_password_is_refused_counted_against_the_surgeon_and_never_sent_back(
    client, nurse, surgeon, other_surgeon, ready
):
    client.force_login(nurse)

    response = sign(client, ready, other_surgeon, password="nurses-guess")

    assert response.status_code == 403
    html = response.content.decode()
    assert "The password is not right. The case was not signed." in html
    assert "nurses-guess" not in html
    assert response.context["form"]["signer"].value() == other_surgeon.pk  # still chosen
    refused = events(ready)[-1]
    assert (refused.action, refused.actor) == (AuditAction.SIGNATURE_REFUSED, other_surgeon)
    ready.refresh_from_db()
    assert ready.status == CaseStatus.IN_PROGRESS


@pytest.mark.parametrize("who", ["nurse", "scrub", "reviewer"])
def test_only_a_surgeon_can_be_chosen(request, db, client, nurse, ready, who):
    client.force_login(nurse)
    person = request.getfixturevalue(who)

    response = sign(client, ready, person)

    assert response.status_code == 422
    assert "Choose one of the surgeons in the list." in response.content.decode()
    assert events(ready)[-1].action == AuditAction.STEP_RECORDED  # nothing tried


@pytest.mark.parametrize("forged", ["", "x", "999999", "-1", "1" * 40])
def test_a_forged_signer_is_refused_with_a_message(client, nurse, ready, forged):
    client.force_login(nurse)

    response = client.post(url(ready), {"signer": forged, "password": PASSWORD})

    assert response.status_code == 422
    ready.refresh_from_db()
    assert ready.status == CaseStatus.IN_PROGRESS


def test_a_surgeon_signed_in_signs_as_themselves_whatever_is_posted(
    client, surgeon, other_surgeon, ready
):
    client.force_login(surgeon)

    response = sign(client, ready, other_surgeon)  # the signer field is not theirs to send

    assert response.status_code == 302
    assert ready.signatures.get().signer == surgeon


def test_a_reviewer_cannot_present_a_surgeons_signature(client, reviewer, surgeon, ready):
    client.force_login(reviewer)

    response = sign(client, ready, surgeon)

    assert response.status_code == 403
    ready.refresh_from_db()
    assert ready.status == CaseStatus.IN_PROGRESS
