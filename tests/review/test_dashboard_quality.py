"""The dashboard's quality of the checks, month by month (``CaseQuality``): every figure equal
to a count made here case by case, the chart's numbers the table's, a fixed number of queries."""

import datetime
import json
import re
import statistics
from collections import defaultdict

import pytest
from django.urls import reverse
from django.utils import timezone

from checklists import bulk
from checklists.models import Case, CaseQuality
from review import selectors
from tests.review.test_dashboard import DASHBOARD_QUERIES
from tests.timed_cases import Clock, closed_case, timed_procedure

DASHBOARD = reverse("review:dashboard")


@pytest.fixture
def history(db):
    """A year of generated cases: Time Outs with and without a scrub, attestations given as
    they were, Stops and repeated Time Outs, catch-up entries."""
    bulk.generate(count=400, seed=41)


def counted_by_hand(*, date_from, date_to, procedure=None, surgeon=None) -> dict:
    """The month's figures from each signed-out case's row, in Python."""
    months: dict[datetime.date, dict] = defaultdict(
        lambda: {"cases": 0, "read": 0, "team": 0, "attested": 0, "after": 0, "stops": 0, "s": []}
    )
    rows = CaseQuality.objects.select_related("case").filter(
        case__status__in=["completed", "reviewed"]
    )
    for row in rows:
        case = row.case
        day = timezone.localdate(case.scheduled_start)
        if not date_from <= day <= date_to:
            continue
        if procedure and case.procedure_id != procedure.pk:
            continue
        if surgeon and case.surgeon_id != surgeon.pk:
            continue
        month = months[day.replace(day=1)]
        month["cases"] += 1
        month["stops"] += row.stops
        month["after"] += row.recorded_after_the_fact
        if row.read_aloud:
            month["read"] += 1
            month["team"] += row.full_team
            month["attested"] += row.attested_well
            month["s"].append(row.time_out_seconds)
    return months


def percent(count: int, total: int) -> float | None:
    return round(100 * count / total, 1) if total else None


def assert_figures_match(figures, months) -> None:
    for figure in figures.quality:
        month = months.get(figure.month)
        if month is None:
            assert figure.cases == 0, figure.month
            assert figure.median_time_out_seconds is None
            continue
        assert figure.cases == month["cases"], figure.month
        assert figure.read_aloud == month["read"]
        assert figure.full_team_percent == percent(month["team"], month["read"])
        assert figure.attested_well_percent == percent(month["attested"], month["read"])
        assert figure.after_the_fact_percent == percent(month["after"], month["cases"])
        assert figure.stops_per_100 == percent(month["stops"], month["cases"])
        median = statistics.median(month["s"]) if month["s"] else None
        assert figure.median_time_out_seconds == (None if median is None else round(median, 1))
    assert sum(f.cases for f in figures.quality) == sum(m["cases"] for m in months.values())


def test_the_quality_figures_equal_a_case_by_case_count(history):
    today = timezone.localdate()
    period = {"date_from": today - datetime.timedelta(days=400), "date_to": today}
    figures = selectors.dashboard(**period)
    months = counted_by_hand(**period)

    assert_figures_match(figures, months)
    totals = {key: sum(m[key] for m in months.values()) for key in ("team", "after", "stops")}
    assert totals["stops"] > 0 and totals["after"] > 0  # the generator's lapses are there
    assert totals["team"] < sum(m["read"] for m in months.values())  # a scrub missing, some


def test_the_quality_figures_follow_the_procedure_and_surgeon_filters(history):
    today = timezone.localdate()
    period = {"date_from": today - datetime.timedelta(days=150), "date_to": today}
    case = Case.objects.filter(status="completed").select_related("procedure", "surgeon").first()
    for narrowed in ({"procedure": case.procedure}, {"surgeon": case.surgeon}):
        figures = selectors.dashboard(**period, **narrowed)

        assert_figures_match(figures, counted_by_hand(**period, **narrowed))


def test_a_month_of_workflow_cases_gives_the_figures_a_reviewer_expects(
    monkeypatch, nurse, scrub, surgeon
):
    clock = Clock(monkeypatch, at=datetime.datetime(2026, 2, 2, 8, 0, tzinfo=datetime.UTC))
    procedure = timed_procedure()
    people = {"nurse": nurse, "scrub": scrub, "surgeon": surgeon}
    closed_case(procedure, clock, **people, time_out_seconds=60)
    closed_case(procedure, clock, **people, time_out_seconds=120, scrub_at_time_out=False)
    closed_case(procedure, clock, **people, time_out_seconds=150, stop=True, catch_up=True)
    closed_case(procedure, clock, **people, time_out_seconds=90)

    figures = selectors.dashboard(
        date_from=datetime.date(2026, 1, 15), date_to=datetime.date(2026, 3, 10)
    )

    january, february, march = figures.quality
    assert (january.cases, march.cases, january.full_team_percent) == (0, 0, None)
    assert (february.cases, february.read_aloud) == (4, 4)
    assert february.full_team_percent == 75.0
    assert february.attested_well_percent == 100.0
    assert february.after_the_fact_percent == 25.0
    assert february.stops_per_100 == 25.0
    assert february.median_time_out_seconds == 105.0  # of 60, 90, 120 and 150


def test_a_case_begun_just_after_local_midnight_is_its_local_month_s(
    monkeypatch, nurse, scrub, surgeon
):
    """Half past midnight on the 1st of October in London is still the 30th of September in
    UTC: the case is October's, its month read from the case (a partial month) or counted."""
    clock = Clock(monkeypatch, at=datetime.datetime(2026, 9, 30, 23, 30, tzinfo=datetime.UTC))
    people = {"nurse": nurse, "scrub": scrub, "surgeon": surgeon}
    closed_case(timed_procedure(), clock, **people, time_out_seconds=75, scheduled_start=clock.at)

    for date_from, date_to in [
        (datetime.date(2026, 9, 15), datetime.date(2026, 10, 15)),  # from the case
        (datetime.date(2026, 9, 1), datetime.date(2026, 10, 31)),  # from the counts
    ]:
        september, october = selectors.dashboard(date_from=date_from, date_to=date_to).quality
        assert (september.cases, september.median_time_out_seconds) == (0, None)
        assert (october.cases, october.median_time_out_seconds) == (1, 75.0)


def test_the_page_charts_the_table_s_numbers(logged_in, history):
    response = logged_in.get(DASHBOARD)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Quality of the checks, month by month" in page
    assert 'id="chart-quality-rates"' in page and 'id="chart-quality-stops"' in page
    found = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', page)
    charted = json.loads(found.group(1))["quality"]
    figures = response.context["figures"].quality
    assert charted["labels"] == [f"{month.month:%b %Y}" for month in figures]
    assert charted["full_team"] == [month.full_team_percent for month in figures]
    assert charted["stops_per_100"] == [month.stops_per_100 for month in figures]
    assert charted["median_time_out"] == [month.median_time_out_seconds for month in figures]
    rows = re.findall(r"<tr><th scope=\"row\">(\w{3} \d{4})</th><td>(\d+)</td>", page)
    assert len([row for row in rows if row[0] in charted["labels"]]) >= len(figures)


def test_the_quality_figures_cost_no_query_per_case(logged_in, django_assert_max_num_queries):
    logged_in.get(DASHBOARD)  # the session's first request writes its start time: not counted
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        assert logged_in.get(DASHBOARD).status_code == 200

    bulk.generate(count=200, seed=42)
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        response = logged_in.get(DASHBOARD)
    assert sum(month.cases for month in response.context["figures"].quality) > 100
