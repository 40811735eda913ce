"""The record's "Quality of the checks": a closed case's stored facts, an open case's so far
from the rows the record reads anyway; no query more."""

import re

import pytest
from django.urls import reverse

from checklists.models import CaseQuality
from tests.conftest import make_case
from tests.review.test_record import RECORD_QUERIES
from tests.timed_cases import Clock, closed_case, sign_in, timed_procedure


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def section(logged_in, case) -> str:
    """The section's text, tags removed and spaces collapsed."""
    page = logged_in.get(reverse("review:record", args=[case.pk])).content.decode()
    found = re.search(r'<section[^>]*id="quality-of-checks".*?</section>', page, re.S)
    assert found, "no Quality of the checks section"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(0)).split())


def test_a_case_done_well_shows_so(logged_in, clock, nurse, scrub, surgeon):
    case = closed_case(timed_procedure(), clock, nurse=nurse, scrub=scrub, surgeon=surgeon)

    text = section(logged_in, case)

    assert "Time Out read aloud Yes, in 1 min 30 s" in text
    assert "Full team present Yes" in text
    assert "Every item spoken aloud Yes" in text
    assert "Interruptions None" in text
    assert "Stops called 0" in text
    assert "Time Outs repeated 0" in text
    assert "Recorded after the fact No" in text
    assert "So far" not in text


def test_what_went_less_well_is_shown_in_words(logged_in, clock, nurse, scrub, surgeon):
    case = closed_case(
        timed_procedure(),
        clock,
        nurse=nurse,
        scrub=scrub,
        surgeon=surgeon,
        scrub_at_time_out=False,
        stop=True,
        catch_up=True,
    )

    text = section(logged_in, case)

    assert "Full team present No : missing scrub" in text
    assert "Stops called 1, longest 1 min 30 s" in text
    assert "Time Outs repeated 1" in text
    assert (
        "Recorded after the fact Yes : 0 steps recorded after the case closed; "
        "at most 9 within a minute"
    ) in text


def test_an_open_case_shows_its_facts_so_far(logged_in, clock, nurse, surgeon):
    case = make_case(timed_procedure(), actor=nurse, surgeon=surgeon)
    sign_in(case, nurse, clock, every=3)

    text = section(logged_in, case)

    assert "So far: the facts are stored when the case closes." in text
    assert "Time Out read aloud No" in text
    assert "Recorded after the fact Yes" in text  # nine rows in 24 s already
    assert not CaseQuality.objects.exists()


def test_the_section_costs_no_query(
    logged_in, clock, nurse, scrub, surgeon, django_assert_max_num_queries
):
    case = closed_case(
        timed_procedure(), clock, nurse=nurse, scrub=scrub, surgeon=surgeon, stop=True
    )
    logged_in.get(reverse("review:case-list"))  # the session's first request writes: not counted
    with django_assert_max_num_queries(RECORD_QUERIES):
        assert "Stops called 1" in section(logged_in, case)
