"""Every view of a patient's name or MRN writes one access-log entry (checklists.access): the
checklist page, the sign-out page and the admin's case page here; the review record, list and
export in tests/review/test_access_log.py. What shows no identity (htmx answers, the poll, the
board with its initials) writes nothing."""

import pytest
from django.urls import reverse

from checklists.access import log_access
from checklists.choices import AccessAction
from checklists.models import RecordAccess
from tests.checklists.checklist_html import CONSENT, IDENTITY, content, step_of
from tests.checklists.test_live_sync import poll
from tests.conftest import record

HTMX = {"HX-Request": "true"}


def entries() -> list[tuple[str, int | None, str]]:
    """The log, oldest first: (username, case id, action)."""
    rows = RecordAccess.objects.order_by("at", "pk").values_list("user__username", "case", "action")
    return list(rows)


def checklist(case) -> str:
    return reverse("case-detail", args=[case.pk])


def test_each_load_of_the_checklist_is_one_entry(client, nurse, case):
    client.force_login(nurse)

    client.get(checklist(case), HTTP_USER_AGENT="Ward tablet 7")
    client.get(checklist(case))

    assert entries() == [("nurse", case.pk, "checklist")] * 2
    entry = RecordAccess.objects.order_by("pk").first()
    assert (entry.remote_addr, entry.user_agent) == ("127.0.0.1", "Ward tablet 7")


def test_the_page_shows_the_identity_it_logs(client, nurse, case):
    client.force_login(nurse)
    html = content(client.get(checklist(case)))
    assert "Pat Example" in html and "MRN0042" in html


def test_the_poll_logs_nothing_whether_304_or_changed(client, nurse, scrub, case):
    client.force_login(nurse)
    html = content(client.get(checklist(case)))

    assert poll(client, html).status_code == 304
    record(case, IDENTITY, scrub)
    changed = poll(client, html)

    assert changed.status_code == 200
    assert "MRN0042" not in content(changed) and "Pat Example" not in content(changed)
    assert entries() == [("nurse", case.pk, "checklist")]


def test_a_tick_answered_with_a_row_logs_nothing(client, nurse, case):
    client.force_login(nurse)
    step = step_of(case, IDENTITY)
    form = {"status": "done", "revision": step.revision, "since": 0}

    response = client.post(f"/cases/{case.pk}/steps/{step.pk}/", form, headers=HTMX)

    assert response.status_code == 200
    assert "MRN0042" not in content(response)
    assert entries() == []


def test_a_refusal_without_javascript_draws_the_whole_page_and_logs_it(client, nurse, case):
    client.force_login(nurse)
    consent = step_of(case, CONSENT)
    form = {"status": "done", "value": "yes", "revision": consent.revision}

    response = client.post(f"/cases/{case.pk}/steps/{consent.pk}/", form)

    assert response.status_code == 422
    assert "MRN0042" in content(response)
    assert entries() == [("nurse", case.pk, "checklist")]


def test_a_tick_without_javascript_logs_the_page_it_comes_back_to(client, nurse, case):
    client.force_login(nurse)
    step = step_of(case, IDENTITY)
    form = {"status": "done", "revision": step.revision}

    client.post(f"/cases/{case.pk}/steps/{step.pk}/", form, follow=True)

    assert entries() == [("nurse", case.pk, "checklist")]


def test_an_unknown_case_logs_nothing(client, nurse, case):
    client.force_login(nurse)
    assert client.get(f"/cases/{case.pk + 1000}/").status_code == 404
    assert client.get(f"/cases/{case.pk + 1000}/sign-out/").status_code == 404
    assert entries() == []


def test_each_view_of_the_sign_out_page_is_one_entry(client, surgeon, case):
    client.force_login(surgeon)
    url = reverse("case-sign-out", args=[case.pk])

    page = client.get(url)
    refused = client.post(url, {"password": "wrong"})

    assert "MRN0042" in content(page) and "MRN0042" in content(refused)
    assert entries() == [("surgeon", case.pk, "sign_out")] * 2


def test_the_board_shows_initials_only_and_logs_nothing(client, nurse, case):
    client.force_login(nurse)

    board = content(client.get(reverse("home")))

    assert "PE" in board
    assert "Pat Example" not in board and "MRN0042" not in board
    assert entries() == []


def test_the_admins_case_page_is_one_entry_per_view(administrator_client, case):
    url = reverse("admin:checklists_case_change", args=[case.pk])

    page = administrator_client.get(url)
    administrator_client.get(url)

    assert page.status_code == 200 and "MRN0042" in content(page)
    assert entries() == [("admin", case.pk, "admin")] * 2


def test_the_admins_case_list_shows_no_identity_and_logs_nothing(administrator_client, case):
    page = administrator_client.get(reverse("admin:checklists_case_changelist"))

    assert page.status_code == 200 and "MRN0042" not in content(page)
    assert entries() == []


@pytest.mark.parametrize("object_id", ["999999", "not-a-number"])
def test_a_missing_case_in_the_admin_logs_nothing(administrator_client, case, object_id):
    response = administrator_client.get(f"/admin/checklists/case/{object_id}/change/")
    assert response.status_code == 302
    assert entries() == []


def test_only_staff_reach_the_admins_case_page_and_a_refusal_logs_nothing(client, nurse, case):
    client.force_login(nurse)
    response = client.get(reverse("admin:checklists_case_change", args=[case.pk]))
    assert response.status_code == 302
    assert entries() == []


def test_the_helper_writes_who_what_when_and_where(nurse, case):
    entry = log_access(user=nurse, action=AccessAction.EXPORT, filters="status=completed")
    assert (entry.user, entry.case, entry.action, entry.filters) == (
        nurse,
        None,
        "export",
        "status=completed",
    )
    assert entry.at is not None and entry.remote_addr is None


def test_the_log_keeps_its_table_from_the_review_app():
    assert RecordAccess._meta.db_table == "review_recordaccess"
    assert RecordAccess._meta.app_label == "checklists"


# Session, user, permissions, the case, its steps, its implants, the Stops called, the debrief's
# actions and briefing, the people an action may be given to, roles for the header, the
# banner's emergency accesses, the side disagreements that stand, the Time Outs: and the one
# entry this view writes.
CHECKLIST_WITH_LOG_QUERIES = 14


def test_the_entry_costs_one_query(client, nurse, case, django_assert_max_num_queries):
    client.force_login(nurse)
    client.get(checklist(case))  # the session's first request writes: not counted
    with django_assert_max_num_queries(CHECKLIST_WITH_LOG_QUERIES) as queries:
        client.get(checklist(case))
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1 and "review_recordaccess" in inserts[0]
