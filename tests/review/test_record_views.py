"""The record's "Who viewed this case": everyone the access log says saw the patient's identity,
newest first, bounded, read in one query."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from checklists.choices import AccessAction
from checklists.models import RecordAccess
from review.selectors.record import VIEWS_SHOWN, record_views
from tests.review.conftest import signed_out
from tests.review.test_record import RECORD_QUERIES


@pytest.fixture
def case(procedure, nurse, surgeon):
    return signed_out(procedure, nurse=nurse, surgeon=surgeon)


def viewed(user, case, action: AccessAction, minutes_ago: int) -> RecordAccess:
    at = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    return RecordAccess.objects.create(user=user, case=case, action=action, at=at)


def views_table(html: str) -> list[list[str]]:
    """The rows of the "Who viewed this case" table: [person, what, when] each."""
    section = html.split('id="views-heading"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr[^>]*><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", section)
    return [[re.sub(r"<[^>]+>", "", cell) for cell in row] for row in rows]


def test_it_lists_who_saw_the_case_and_how_newest_first(logged_in, case, nurse, surgeon):
    viewed(nurse, case, AccessAction.CHECKLIST, minutes_ago=30)
    viewed(surgeon, case, AccessAction.SIGN_OUT, minutes_ago=20)

    html = logged_in.get(reverse("review:record", args=[case.pk])).content.decode()

    people_and_what = [row[:2] for row in views_table(html)]
    assert people_and_what == [
        ["Rae Reviewer", "Viewed the review record"],  # this view, logged before the list is read
        ["Sue Surgeon", "Opened the sign-out page"],
        ["Nora Nurse", "Opened the checklist"],
    ]
    when = views_table(html)[2][2]
    local = timezone.localtime(RecordAccess.objects.get(action="checklist").at)
    assert when == f"{local:%-d %b %Y, %H:%M:%S}"


def test_it_lists_only_this_cases_views(logged_in, case, procedure, nurse, surgeon):
    other = signed_out(procedure, nurse=nurse, surgeon=surgeon, patient_mrn="MRN0099")
    viewed(nurse, other, AccessAction.CHECKLIST, minutes_ago=5)
    RecordAccess.objects.create(user=nurse, action=AccessAction.LIST, at=timezone.now())

    html = logged_in.get(reverse("review:record", args=[case.pk])).content.decode()

    assert [row[0] for row in views_table(html)] == ["Rae Reviewer"]


def test_an_emergency_access_stands_out(logged_in, case, nurse):
    viewed(nurse, case, AccessAction.EMERGENCY, minutes_ago=3)

    html = logged_in.get(reverse("review:record", args=[case.pk])).content.decode()

    assert '<tr class="table-warning"><td>Nora Nurse</td><td>Emergency access' in html


def test_a_long_log_is_cut_to_the_newest_and_says_so(logged_in, case, nurse):
    for minutes in range(VIEWS_SHOWN + 5):
        viewed(nurse, case, AccessAction.CHECKLIST, minutes_ago=minutes + 1)

    html = logged_in.get(reverse("review:record", args=[case.pk])).content.decode()

    rows = views_table(html)
    assert len(rows) == VIEWS_SHOWN
    assert rows[0][0] == "Rae Reviewer"
    assert f"The {VIEWS_SHOWN} most recent are listed" in html


def test_a_short_log_says_nothing_about_more(logged_in, case):
    html = logged_in.get(reverse("review:record", args=[case.pk])).content.decode()
    assert "most recent are listed" not in html


def test_the_list_is_one_query_however_long(case, nurse, django_assert_num_queries):
    for minutes in range(VIEWS_SHOWN * 2):
        viewed(nurse, case, AccessAction.CHECKLIST, minutes_ago=minutes)

    with django_assert_num_queries(1):
        views = record_views(case_id=case.pk)
        names = [entry.user.get_full_name() for entry in views.entries]

    assert len(names) == VIEWS_SHOWN and views.more


def test_the_record_costs_the_same_queries_with_a_long_log(
    logged_in, case, nurse, django_assert_max_num_queries
):
    logged_in.get(reverse("review:case-list"))  # the session's first request writes: not counted
    with django_assert_max_num_queries(RECORD_QUERIES):
        logged_in.get(reverse("review:record", args=[case.pk]))
    for minutes in range(VIEWS_SHOWN * 3):
        viewed(nurse, case, AccessAction.CHECKLIST, minutes_ago=minutes)
    with django_assert_max_num_queries(RECORD_QUERIES):
        logged_in.get(reverse("review:record", args=[case.pk]))
