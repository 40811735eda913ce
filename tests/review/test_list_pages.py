"""The review list's pages: Previous and Next find a page from its neighbouring case (keyset
pagination), a page asked for by number is read from the nearer end, and every link still
opens the page it names, whatever the sort."""

import datetime
import html
import re
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from checklists import bulk, workflow
from checklists.bulk.cast import MI
from checklists.models import Case
from procedures.models import Procedure
from review.filters import ReviewCaseFilter
from tests.conftest import make_case
from tests.review.conftest import signed_out
from tests.review.test_list import LIST, listed

SORTS = ["", "date", "-date", "surgeon", "-time_out", "room", "reviewed"]


@pytest.fixture
def history(db):
    """About 60 listed cases (three pages): generated, several surgeons, rooms and days."""
    bulk.generate(count=64, seed=51)


def link(response, rel: str) -> str | None:
    found = re.search(rf'href="([^"]*)" rel="{rel}"', response.content.decode())
    return html.unescape(found.group(1)) if found else None


def whole_list(client, sort: str) -> list[int]:
    return listed(client.get(LIST, {"sort": sort, "per_page": 100}))


@pytest.mark.parametrize("sort", SORTS)
def test_next_and_previous_walk_every_case_once_in_the_lists_order(logged_in, history, sort):
    expected = whole_list(logged_in, sort)
    assert 50 < len(expected) <= 75

    pages, response = [], logged_in.get(LIST, {"sort": sort})
    while True:
        pages.append(listed(response))
        following = link(response, "next")
        if following is None:
            break
        assert "after=" in following
        response = logged_in.get(LIST + following)
    assert [pk for page in pages for pk in page] == expected
    assert f"Page {len(pages)} of {len(pages)}" in response.content.decode()

    backwards = [listed(response)]
    while (preceding := link(response, "prev")) is not None:
        assert "before=" in preceding
        response = logged_in.get(LIST + preceding)
        backwards.append(listed(response))
    assert backwards[::-1] == pages


@pytest.mark.parametrize("sort", ["", "surgeon", "reviewed"])
def test_a_page_asked_for_by_number_is_the_same_from_either_end(logged_in, history, sort):
    expected = whole_list(logged_in, sort)
    for number in (1, 2, 3):
        page = listed(logged_in.get(LIST, {"sort": sort, "page": number}))
        assert page == expected[(number - 1) * 25 : number * 25]
    last = logged_in.get(LIST, {"sort": sort, "page": 99})  # past the end: the last page
    assert listed(last) == expected[(len(expected) - 1) // 25 * 25 :]


def test_a_cursor_from_elsewhere_falls_back_to_the_page_number(logged_in, history):
    expected = whole_list(logged_in, "")
    cancelled = Case.objects.filter(status="cancelled").values_list("pk", flat=True).first()

    for cursor in (str(cancelled), "999999", "abc", "-3", ""):
        response = logged_in.get(LIST, {"page": 2, "after": cursor, "before": cursor})
        assert response.status_code == 200
        assert listed(response) == expected[25:50]


def test_a_cursor_narrows_within_the_filters(logged_in, history):
    procedure = Procedure.objects.get(slug=MI)  # about two cases in three
    expected = listed(logged_in.get(LIST, {"procedure": procedure.pk, "per_page": 100}))
    assert len(expected) > 25

    following = link(logged_in.get(LIST, {"procedure": procedure.pk}), "next")

    assert f"procedure={procedure.pk}" in following
    assert listed(logged_in.get(LIST + following)) == expected[25:50]


def test_a_page_found_by_its_neighbour_costs_no_more_queries(
    logged_in, history, django_assert_max_num_queries
):
    from tests.review.test_list import LIST_QUERIES

    first = logged_in.get(LIST)
    following = link(first, "next")
    with django_assert_max_num_queries(LIST_QUERIES):
        assert logged_in.get(LIST + following).status_code == 200
    with django_assert_max_num_queries(LIST_QUERIES):
        assert logged_in.get(reverse("review:case-list"), {"page": 3}).status_code == 200


def heading_count(response) -> int:
    return int(re.search(r'id="results-heading">(\d+) case', response.content.decode()).group(1))


def counted_filters() -> list[dict]:
    """Filters the day counts hold, with values from the generated history."""
    case = Case.objects.filter(status="completed").order_by("pk").first()
    day = timezone.localdate(case.scheduled_start).isoformat()
    return [
        {},
        {"cancelled": "on"},
        {"status": "cancelled"},
        {"room": case.room},
        {"procedure": case.procedure_id, "cancelled": "on"},
        {"surgeon": case.surgeon_id, "sort": "surgeon"},
        {"date_from": day},
        {"date_to": day, "per_page": 50},
        {"date_from": day, "date_to": day, "room": case.room, "surgeon": case.surgeon_id},
    ]


def test_the_lists_length_is_read_from_the_day_counts_and_equals_its_cases(logged_in, history):
    for filters in counted_filters():
        with CaptureQueriesContext(connection) as queries:
            response = logged_in.get(LIST, filters)
        cases = ReviewCaseFilter(QueryDict(urlencode(filters)))

        assert (
            heading_count(response) == cases.qs.count() == sum(n for _, n in cases.listed_days())
        ), filters
        assert not [q for q in queries if "COUNT(*)" in q["sql"] and "checklists_case" in q["sql"]]


@pytest.mark.parametrize(
    "filters",
    [
        {"status": "completed"},
        {"compliance": "compliant"},
        {"quality": "stops"},
        {"amended": "no"},
        {"reviewed": "yes"},
        {"room": "no such room"},  # invalid: left out, and the cases counted
    ],
    ids=str,
)
def test_a_filter_the_day_counts_do_not_hold_counts_the_cases(logged_in, history, filters):
    cases = ReviewCaseFilter(QueryDict(urlencode(filters)))
    assert cases.listed_days() is None

    response = logged_in.get(LIST, filters)

    assert heading_count(response) == cases.qs.count()
    assert len(listed(logged_in.get(LIST, {**filters, "per_page": 100}))) == cases.qs.count()


def test_a_case_signed_out_or_cancelled_is_counted_at_once(
    logged_in, history, procedure, nurse, surgeon
):
    before = heading_count(logged_in.get(LIST, {"cancelled": "on"}))
    signed_before = heading_count(logged_in.get(LIST))

    signed_out(procedure, nurse=nurse, surgeon=surgeon)
    cancelled = make_case(procedure, actor=nurse, surgeon=surgeon)
    workflow.cancel(actor=nurse, case_id=cancelled.pk, reason="Patient unwell")

    assert heading_count(logged_in.get(LIST, {"cancelled": "on"})) == before + 2
    assert heading_count(logged_in.get(LIST)) == signed_before + 1


@pytest.mark.parametrize(
    "filters",
    [{}, {"cancelled": "on", "sort": "-date"}, {"procedure": "mi"}, {"date_from": "today"}],
    ids=str,
)
def test_a_page_asked_for_by_number_is_found_from_its_day_and_holds_the_lists_rows(
    logged_in, db, filters
):
    """Some twenty cases a day: pages begin and end inside a day; a page by number is found
    from the day counts (newest first), skipping only its first day's cases before it."""
    bulk.generate(count=120, seed=8, days=4)
    if "procedure" in filters:
        filters = {"procedure": Procedure.objects.get(slug=MI).pk}
    if "date_from" in filters:
        filters = {"date_from": timezone.localdate() - datetime.timedelta(days=2)}
    cases = ReviewCaseFilter(QueryDict(urlencode(filters)))
    assert cases.listed_days() is not None
    assert max(n for _, n in cases.listed_days()) > 10

    expected = list(cases.qs.values_list("pk", flat=True))  # the list's order, every row
    pages = -(-len(expected) // 25)
    assert pages >= 2
    for number in range(1, pages + 1):
        with CaptureQueriesContext(connection) as queries:
            page = listed(logged_in.get(LIST, {**filters, "page": number}))
        assert page == expected[(number - 1) * 25 : number * 25], number
        # Read from the end of the page's first day (a bound on the date), not from the top.
        assert any('"scheduled_start" < ' in query["sql"] for query in queries), number
