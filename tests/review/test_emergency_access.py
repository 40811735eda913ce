"""Emergency access ("break-glass"): someone whose role does not read review records opens one
case's record by giving a reason, for a while, loudly (review.emergency)."""

import datetime
import logging

import pytest
from django.urls import reverse
from django.utils import timezone

from checklists import workflow
from checklists.models import RecordAccess
from review import emergency
from review.models import EmergencyAccess
from tests.checklists.test_board import BOARD_QUERIES
from tests.conftest import make_case
from tests.review.conftest import signed_out

REASON = "Patient back in theatre; the team needs the implants that were logged."
PATIENT = ("Pat Example", "MRN0042", "14 Mar 1961")


@pytest.fixture
def case(procedure, nurse, surgeon):
    return signed_out(procedure, nurse=nurse, surgeon=surgeon)


@pytest.fixture
def as_nurse(client, nurse):
    client.force_login(nurse)
    return client


def confirm_url(case_id: int) -> str:
    return reverse("review:emergency-access", args=[case_id])


def record_url(case_id: int) -> str:
    return reverse("review:record", args=[case_id])


def ask(client, case_id: int, reason: str = REASON):
    return client.post(confirm_url(case_id), {"reason": reason})


def page(response) -> str:
    return response.content.decode()


def end_now(grant: EmergencyAccess) -> None:
    """The grant's time is up (as if EMERGENCY_ACCESS_MINUTES had passed)."""
    past = timezone.now() - datetime.timedelta(seconds=1)
    length = grant.ends_at - grant.started_at
    EmergencyAccess.objects.filter(pk=grant.pk).update(started_at=past - length, ends_at=past)


def actions() -> list[tuple[str, int | None, str]]:
    rows = RecordAccess.objects.order_by("at", "pk").values_list("user__username", "case", "action")
    return list(rows)


# --- without a grant ---------------------------------------------------------------------------


def test_the_record_is_closed_to_or_staff_and_says_how_to_open_it(as_nurse, case):
    response = as_nurse.get(record_url(case.pk))

    assert response.status_code == 403
    assert confirm_url(case.pk) in page(response)
    assert not any(identity in page(response) for identity in PATIENT)
    assert actions() == []


def test_the_confirm_page_names_the_case_but_not_the_patient(as_nurse, case):
    response = as_nurse.get(confirm_url(case.pk))

    assert response.status_code == 200
    html = page(response)
    assert f"Emergency access to case {case.pk}" in html and "Small fusion" in html
    assert not any(identity in html for identity in PATIENT)
    assert "30 minutes" in html
    assert actions() == [] and not EmergencyAccess.objects.exists()


def test_the_checklist_offers_it_to_those_who_may_ask(client, nurse, reviewer, case):
    client.force_login(nurse)
    assert confirm_url(case.pk) in page(client.get(reverse("case-detail", args=[case.pk])))
    client.force_login(reviewer)
    assert confirm_url(case.pk) not in page(client.get(reverse("case-detail", args=[case.pk])))


# --- asking ------------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_an_empty_reason_is_refused_with_the_forms_message(as_nurse, case, reason):
    response = ask(as_nurse, case.pk, reason)

    assert response.status_code == 400
    assert "Give the reason you need this record" in page(response)
    assert not any(identity in page(response) for identity in PATIENT)
    assert not EmergencyAccess.objects.exists() and actions() == []


@pytest.mark.parametrize(
    ("reason", "message"),
    [("x" * 1001, "too long"), ("Bleeding\x00", "cannot be stored"), ("a\u202eb", "cannot be")],
)
def test_a_reason_that_cannot_be_kept_is_refused(as_nurse, case, reason, message):
    response = ask(as_nurse, case.pk, reason)

    assert response.status_code == 400
    assert message in page(response)
    assert not EmergencyAccess.objects.exists()


def test_an_unknown_case_is_not_found(as_nurse, case):
    assert as_nurse.get(confirm_url(case.pk + 1000)).status_code == 404
    assert ask(as_nurse, case.pk + 1000).status_code == 404
    assert not EmergencyAccess.objects.exists() and actions() == []


def test_a_case_id_beyond_any_database_is_refused_not_a_crash(as_nurse, case):
    huge = 2**70
    assert as_nurse.get(record_url(huge)).status_code == 403
    assert as_nurse.get(confirm_url(huge)).status_code == 404
    assert ask(as_nurse, huge).status_code == 404


def test_a_reason_opens_the_record_with_the_patient(as_nurse, nurse, case):
    response = ask(as_nurse, case.pk)

    assert response.status_code == 302 and response["Location"] == record_url(case.pk)
    grant = EmergencyAccess.objects.get()
    assert (grant.user, grant.case, grant.reason) == (nurse, case, REASON)
    assert grant.ends_at - grant.started_at == datetime.timedelta(minutes=30)
    assert grant.reviewed_at is None and grant.reviewed_by is None

    record = as_nurse.get(record_url(case.pk))
    assert record.status_code == 200
    assert all(identity in page(record) for identity in PATIENT)
    assert actions() == [("nurse", case.pk, "emergency"), ("nurse", case.pk, "view")]


def test_the_grant_lasts_as_long_as_the_setting_says(as_nurse, case, settings):
    settings.EMERGENCY_ACCESS_MINUTES = 5
    ask(as_nurse, case.pk)
    grant = EmergencyAccess.objects.get()
    assert grant.ends_at - grant.started_at == datetime.timedelta(minutes=5)


def test_a_cancelled_or_open_case_opens_too(as_nurse, procedure, nurse, surgeon):
    cancelled = make_case(procedure, actor=nurse, surgeon=surgeon)
    workflow.cancel(actor=nurse, case_id=cancelled.pk, reason="Patient unwell")
    scheduled = make_case(procedure, actor=nurse, surgeon=surgeon)
    for case in (cancelled, scheduled):
        assert ask(as_nurse, case.pk).status_code == 302
        assert as_nurse.get(record_url(case.pk)).status_code == 200


def test_the_grant_is_logged_loudly_without_patient_data(
    as_nurse, nurse, case, caplog, django_capture_on_commit_callbacks
):
    with (
        caplog.at_level(logging.WARNING, logger="review.emergency"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        ask(as_nurse, case.pk)

    [line] = [r for r in caplog.records if r.name == "review.emergency"]
    assert line.levelno == logging.WARNING
    message = line.getMessage()
    assert "EMERGENCY ACCESS" in message
    assert f"case {case.pk}" in message and f"id {nurse.pk}" in message
    for secret in (*PATIENT, "theatre", "implants", "1961-03-14"):
        assert secret not in message


def test_every_view_during_the_grant_is_logged(as_nurse, case):
    ask(as_nurse, case.pk)
    for _ in range(3):
        as_nurse.get(record_url(case.pk))
    assert [action for _, _, action in actions()] == ["emergency", "view", "view", "view"]


def test_the_grant_covers_that_one_case_only(as_nurse, procedure, nurse, surgeon, case):
    other = signed_out(procedure, nurse=nurse, surgeon=surgeon, patient_mrn="MRN0099")
    ask(as_nurse, case.pk)

    assert as_nurse.get(record_url(other.pk)).status_code == 403


def test_the_grant_covers_that_one_person_only(client, nurse, scrub, case):
    client.force_login(nurse)
    ask(client, case.pk)
    client.force_login(scrub)
    assert client.get(record_url(case.pk)).status_code == 403


def test_when_the_time_is_up_the_record_closes_again(as_nurse, case):
    ask(as_nurse, case.pk)
    end_now(EmergencyAccess.objects.get())

    response = as_nurse.get(record_url(case.pk))

    assert response.status_code == 403
    assert not any(identity in page(response) for identity in PATIENT)


def test_asking_again_during_a_grant_opens_the_record_without_a_second_grant(as_nurse, case):
    ask(as_nurse, case.pk)
    assert as_nurse.get(confirm_url(case.pk))["Location"] == record_url(case.pk)
    assert ask(as_nurse, case.pk, "again")["Location"] == record_url(case.pk)
    assert EmergencyAccess.objects.count() == 1


def test_after_the_grant_a_new_reason_opens_it_again(as_nurse, case):
    ask(as_nurse, case.pk)
    end_now(EmergencyAccess.objects.get())
    assert as_nurse.get(confirm_url(case.pk)).status_code == 200
    ask(as_nurse, case.pk, "Second look for the implant card")
    assert EmergencyAccess.objects.count() == 2


def test_a_grant_reads_but_does_not_review(as_nurse, case):
    ask(as_nurse, case.pk)
    html = page(as_nurse.get(record_url(case.pk)))

    assert "Mark reviewed" not in html
    assert f'href="{reverse("review:case-list")}"' not in html  # nor the review pages' links
    assert f'href="{reverse("review:dashboard")}"' not in html
    assert as_nurse.post(reverse("review:mark-reviewed", args=[case.pk])).status_code == 403
    case.refresh_from_db()
    assert case.reviewed_at is None


@pytest.mark.parametrize("persona", ["reviewer", "administrator"])
def test_those_whose_role_reads_records_need_no_emergency_access(client, db, request, persona):
    client.force_login(request.getfixturevalue(persona))
    case = signed_out(
        request.getfixturevalue("procedure"),
        nurse=request.getfixturevalue("nurse"),
        surgeon=request.getfixturevalue("surgeon"),
    )
    assert client.get(confirm_url(case.pk)).status_code == 403
    assert client.get(record_url(case.pk)).status_code == 200


def test_a_surgeon_may_ask_too(client, surgeon, case):
    client.force_login(surgeon)
    assert ask(client, case.pk).status_code == 302
    assert client.get(record_url(case.pk)).status_code == 200


# --- the banner --------------------------------------------------------------------------------


def banner(html: str) -> str:
    start = html.find('id="emergency-banner"')
    return "" if start < 0 else html[start : html.index("</div>", start)]


def test_the_banner_shows_on_every_page_with_the_time_left(as_nurse, case):
    ask(as_nurse, case.pk)
    grant = EmergencyAccess.objects.get()
    ends = timezone.localtime(grant.ends_at)

    for url in (reverse("home"), reverse("case-detail", args=[case.pk]), record_url(case.pk)):
        shown = banner(page(as_nurse.get(url)))
        assert f"the record of case {case.pk}" in shown, url
        assert "until <time datetime=" in shown and f">{ends:%H:%M}</time>" in shown
        assert "30 min left" in shown or "29 min left" in shown
    assert banner(page(as_nurse.get(reverse("my-pin"))))


def test_the_banner_goes_when_the_time_is_up(as_nurse, case):
    ask(as_nurse, case.pk)
    end_now(EmergencyAccess.objects.get())
    assert banner(page(as_nurse.get(reverse("home")))) == ""


def test_nobody_else_sees_the_banner(client, nurse, scrub, case):
    client.force_login(nurse)
    ask(client, case.pk)
    client.force_login(scrub)
    assert banner(page(client.get(reverse("home")))) == ""


def test_the_banner_costs_one_query_and_none_for_a_reviewer(
    client, nurse, reviewer, case, django_assert_max_num_queries
):
    for person in (nurse, reviewer):
        client.force_login(person)
        client.get(reverse("home"))
        with django_assert_max_num_queries(BOARD_QUERIES - (person == reviewer)):
            client.get(reverse("home"))


# --- the module --------------------------------------------------------------------------------


def test_grants_are_found_only_while_they_run(nurse, case):
    grant = emergency.grant(user=nurse, case_id=case.pk, reason=REASON)
    assert emergency.active_grant(user=nurse, case_id=case.pk) == grant
    assert emergency.active_grants(nurse) == [grant]
    assert emergency.may_read_record(nurse, case.pk)
    end_now(grant)
    assert emergency.active_grant(user=nurse, case_id=case.pk) is None
    assert emergency.active_grants(nurse) == []
    assert not emergency.may_read_record(nurse, case.pk)


def test_signing_off_keeps_the_first_sign_off(nurse, administrator, reviewer, case):
    first = emergency.grant(user=nurse, case_id=case.pk, reason=REASON)
    emergency.sign_off(EmergencyAccess.objects.filter(pk=first.pk), by=administrator)
    second = emergency.grant(user=nurse, case_id=case.pk, reason="Another")

    signed = emergency.sign_off(EmergencyAccess.objects.all(), by=reviewer)

    assert signed == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.reviewed_by, second.reviewed_by) == (administrator, reviewer)
