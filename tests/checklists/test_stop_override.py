"""POST /cases/<id>/steps/<step_id>/override/: a surgeon overrides a row's Stop, with a reason."""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from checklists.choices import AuditAction
from checklists.models import Case
from tests.checklists.checklist_html import (
    ANAESTHESIA,
    CONSENT,
    IDENTITY,
    buttons,
    content,
    out_of_band_ids,
    row,
    step_of,
    text,
)
from tests.conftest import events, record

HTMX = {"HX-Request": "true"}
REASON = "Consent confirmed by phone with the next of kin"
# As many as a step change's (tests/checklists/test_step_update.py): the same answer, the rows
# it frees among them (the implant steps' with their implants).
OVERRIDE_QUERIES = 16


@pytest.fixture
def stopped(case, nurse):
    """The bilateral case of the seeded procedure, its consent answered No."""
    record(case, IDENTITY, nurse)
    record(case, CONSENT, nurse, value="no")
    return case


def override_form(case, **data) -> tuple[str, dict]:
    """The consent row's override form as the page would send it, drawn just now."""
    step = step_of(case, CONSENT)
    form = {"revision": step.revision, "reason": REASON, **data}
    if "since" not in form:
        form["since"] = Case.objects.get(pk=case.pk).audit_seq
    return f"/cases/{case.pk}/steps/{step.pk}/override/", form


def override(client, case, *, htmx: bool = True, **data):
    url, form = override_form(case, **data)
    return client.post(url, form, headers=HTMX if htmx else {})


def page(client, case) -> str:
    return content(client.get(f"/cases/{case.pk}/"))


def test_a_surgeon_sees_how_to_override_the_stop(client, surgeon, stopped):
    client.force_login(surgeon)

    consent = row(page(client, stopped), step_of(stopped, CONSENT))

    assert "Stop: “Consent form signed” answered No — expected Yes." in text(consent)
    assert f"Override the Stop: {CONSENT}" in buttons(consent)
    assert f'aria-label="Override the Stop…: {CONSENT}"' in consent
    assert f"Reason for going on despite the Stop on “{CONSENT}”" in text(consent)


def test_the_override_answers_the_row_and_frees_the_later_phases(
    client, surgeon, stopped, django_assert_max_num_queries
):
    client.force_login(surgeon)
    client.get(f"/cases/{stopped.pk}/")  # the session and the permissions warm up

    url, form = override_form(stopped)

    with django_assert_max_num_queries(OVERRIDE_QUERIES):
        response = client.post(url, form, headers=HTMX)

    assert response.status_code == 200
    answer = content(response)
    consent = step_of(stopped, CONSENT)
    at = timezone.localtime(consent.stop_overridden_at).strftime("%H:%M")
    words = text(row(answer, consent))
    assert words.startswith(f"⚠ Overridden {CONSENT}")
    assert f"Answered No — expected Yes. Stop overridden by Sue Surgeon at {at}: {REASON}" in words
    assert "step-overridden" in row(answer, consent) and "step-stop" not in row(answer, consent)
    anaesthesia = step_of(stopped, ANAESTHESIA)
    assert f"step-{anaesthesia.pk}" in out_of_band_ids(answer)
    assert "Locked" not in text(row(answer, anaesthesia))
    [event] = events(stopped, action=AuditAction.STOP_OVERRIDDEN)
    assert (event.actor, event.step, event.after["reason"]) == (surgeon, consent, REASON)
    assert event.user_agent == ""  # the test client sends none; the context is the request's


def test_without_htmx_the_override_redirects_to_the_row(client, surgeon, stopped):
    client.force_login(surgeon)

    response = override(client, stopped, htmx=False)

    consent = step_of(stopped, CONSENT)
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{stopped.pk}/#step-{consent.pk}"
    notes = [str(message) for message in get_messages(response.wsgi_request)]
    assert notes == [f"The Stop on “{CONSENT}” was overridden."]
    assert consent.stop_overridden


@pytest.mark.parametrize("persona", ["nurse", "reviewer"])
def test_only_a_surgeon_may_override(client, request, stopped, persona):
    client.force_login(request.getfixturevalue(persona))

    response = override(client, stopped)

    assert response.status_code == 403
    assert not events(stopped, action=AuditAction.STOP_OVERRIDDEN)


def test_a_nurse_is_told_a_surgeon_overrides_and_sees_no_control(client, nurse, stopped):
    client.force_login(nurse)

    consent = row(page(client, stopped), step_of(stopped, CONSENT))

    assert "a surgeon overrides the Stop with a reason" in text(consent)
    assert "Override the Stop" not in consent


def test_an_override_without_a_reason_is_refused_in_the_row(client, surgeon, stopped):
    client.force_login(surgeon)

    response = override(client, stopped, reason="  ")

    assert response.status_code == 422
    consent = row(content(response), step_of(stopped, CONSENT))
    assert "Give the reason for going on despite the Stop." in text(consent)
    assert 'role="alert"' in consent
    assert '<details class="stop-override" open>' in consent  # the form stays in view
    assert not events(stopped, action=AuditAction.STOP_OVERRIDDEN)


@pytest.mark.parametrize("revision", ["", "abc", "-1", "99999999999"])
def test_a_forged_revision_is_refused_with_a_message(client, surgeon, stopped, revision):
    client.force_login(surgeon)

    response = override(client, stopped, revision=revision)

    assert response.status_code == 400
    assert "version" in text(row(content(response), step_of(stopped, CONSENT)))
    assert not events(stopped, action=AuditAction.STOP_OVERRIDDEN)


def test_a_stale_override_is_a_conflict_showing_the_current_row(client, surgeon, scrub, stopped):
    client.force_login(surgeon)
    revision = step_of(stopped, CONSENT).revision
    record(stopped, CONSENT, scrub, value="yes")  # the form was found signed after all

    response = override(client, stopped, revision=revision)

    assert response.status_code == 409
    consent = text(row(content(response), step_of(stopped, CONSENT)))
    assert "was changed by Sam Scrub" in consent
    assert "Answer: Yes" in consent and "Stop:" not in consent


def test_a_step_of_another_case_is_not_found(client, surgeon, stopped, nurse):
    client.force_login(surgeon)
    other = step_of(stopped, CONSENT)

    response = client.post(
        f"/cases/{stopped.pk + 1000}/steps/{other.pk}/override/",
        {"revision": 1, "reason": REASON},
    )

    assert response.status_code == 404


def test_the_override_costs_what_a_step_change_costs(client, surgeon, nurse, stopped):
    client.force_login(surgeon)
    client.get(f"/cases/{stopped.pk}/")
    allergy = step_of(stopped, "Known allergy")
    change_form = {"status": "done", "value": "no", "revision": 0, "since": stopped.audit_seq}
    with CaptureQueriesContext(connection) as change:
        client.post(f"/cases/{stopped.pk}/steps/{allergy.pk}/", change_form, headers=HTMX)
    url, form = override_form(stopped)
    with CaptureQueriesContext(connection) as overriding:
        assert client.post(url, form, headers=HTMX).status_code == 200

    assert len(overriding) <= len(change)
