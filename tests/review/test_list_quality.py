"""The review list by the quality of the checks (``CaseQuality``): a filter for each fact a
reviewer looks for, a short cell of them per case, and the same number of queries with it."""

import csv
import io
import re

import pytest
from django.urls import reverse

from checklists import bulk, workflow
from checklists.models import CaseQuality
from tests.review.conftest import signed_out
from tests.timed_cases import Clock, closed_case, timed_procedure

LIST = reverse("review:case-list")
LIST_QUERIES = 12  # as tests/review/test_list.py: the quality facts come with the page's cases


def listed(response) -> set[int]:
    return {int(pk) for pk in re.findall(r'href="/review/(\d+)/"', response.content.decode())}


@pytest.fixture
def cases(db, monkeypatch, nurse, scrub, surgeon):
    """One case for each thing to find, and one where nothing is wrong."""
    clock = Clock(monkeypatch)
    procedure = timed_procedure()
    people = {"nurse": nurse, "scrub": scrub, "surgeon": surgeon}
    badly = workflow.Attestation(all_items_spoken=True, everyone_present=True, interruptions=1)
    return {
        "well": closed_case(procedure, clock, **people),
        "no_scrub": closed_case(procedure, clock, **people, scrub_at_time_out=False),
        "interrupted": closed_case(procedure, clock, **people, attestation=badly),
        "stopped": closed_case(procedure, clock, **people, stop=True),
        "caught_up": closed_case(procedure, clock, **people, catch_up=True),
    }


@pytest.mark.parametrize(
    ("quality", "found"),
    [
        ("team_missing", {"no_scrub"}),
        ("attested_badly", {"interrupted"}),
        ("stops", {"stopped"}),
        ("repeated", {"stopped"}),
        ("after_the_fact", {"caught_up"}),
        ("not_read_aloud", set()),
    ],
)
def test_each_quality_filter_finds_its_cases(logged_in, cases, quality, found):
    response = logged_in.get(LIST, {"quality": quality})

    assert response.status_code == 200
    assert listed(response) == {cases[name].pk for name in found}


def test_a_case_without_a_time_out_read_aloud_is_found(logged_in, cases, procedure, nurse, surgeon):
    old_style = signed_out(procedure, nurse=nurse, surgeon=surgeon)  # its Time Out gates nothing

    response = logged_in.get(LIST, {"quality": "not_read_aloud"})

    assert listed(response) == {old_style.pk}
    assert CaseQuality.objects.get(case=old_style).read_aloud is False


def test_every_case_is_listed_without_the_filter_with_its_flags_in_words(logged_in, cases):
    response = logged_in.get(LIST)

    assert listed(response) == {case.pk for case in cases.values()}
    page = response.content.decode()
    for words in (
        "Quality of the checks",
        "Team incomplete",
        "Attestation not all yes",
        "Stops: 1",
        "Time Out repeated",
        "Recorded after the fact",
        "None flagged",
    ):
        assert words in page


def test_an_unknown_quality_is_refused_with_the_list_unfiltered(logged_in, cases):
    response = logged_in.get(LIST, {"quality": "perfect"})

    assert response.status_code == 400
    assert "could not be read" in response.content.decode()
    assert listed(response) == {case.pk for case in cases.values()}


def test_the_list_by_quality_costs_the_same_queries_for_few_or_many_cases(
    logged_in, cases, django_assert_max_num_queries
):
    logged_in.get(LIST)  # the session's first request writes its start time: not counted
    with django_assert_max_num_queries(LIST_QUERIES):
        assert len(listed(logged_in.get(LIST, {"quality": "stops"}))) == 1

    bulk.generate(count=150, seed=5)
    with django_assert_max_num_queries(LIST_QUERIES):
        response = logged_in.get(LIST, {"per_page": 100, "cancelled": "on"})
    assert len(listed(response)) == 100
    with django_assert_max_num_queries(LIST_QUERIES):
        response = logged_in.get(LIST, {"quality": "team_missing", "per_page": 100})
    assert listed(response) >= {cases["no_scrub"].pk}


def test_the_export_carries_each_cases_quality_facts(logged_in, cases, procedure, nurse, surgeon):
    old_style = signed_out(procedure, nurse=nurse, surgeon=surgeon)  # no Time Out read aloud

    response = logged_in.get(reverse("review:export"), {"quality": ""})

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = {int(row["Case"]): row for row in csv.DictReader(io.StringIO(text))}
    assert rows[cases["well"].pk]["Full team at the Time Out"] == "yes"
    assert rows[cases["well"].pk]["Time Out read aloud (s)"] == "90"
    assert rows[cases["no_scrub"].pk]["Full team at the Time Out"] == "no"
    assert rows[cases["interrupted"].pk]["Interruptions"] == "1"
    stopped = rows[cases["stopped"].pk]
    assert (stopped["Stops called"], stopped["Longest Stop (s)"]) == ("1", "90")
    assert stopped["Time Outs repeated"] == "1"
    assert rows[cases["caught_up"].pk]["Recorded after the fact"] == "yes"
    assert rows[cases["well"].pk]["Recorded after the fact"] == "no"
    assert rows[old_style.pk]["Time Out read aloud (s)"] == ""
    assert rows[old_style.pk]["Full team at the Time Out"] == ""
    assert rows[old_style.pk]["Stops called"] == "0"
