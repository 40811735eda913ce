import datetime
import json
import math
import re
import statistics
from collections import Counter, defaultdict

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from checklists import bulk, workflow
from checklists.bulk.cast import OPEN
from checklists.choices import Side
from checklists.models import Case, CaseStep, Implant
from procedures.models import Procedure
from review import selectors
from review.forms import default_period_start
from tests.conftest import PASSWORD
from tests.examples import examples
from tests.review.conftest import day, signed_out

DASHBOARD = reverse("review:dashboard")


@pytest.fixture
def history(db):
    """Generated cases over the past year: real times, both procedures, six surgeons."""
    bulk.generate(count=150, seed=31)
    return Case.objects.filter(status__in=["completed", "reviewed"])


def year() -> dict[str, datetime.date]:
    today = timezone.localdate()
    return {"date_from": today - datetime.timedelta(days=400), "date_to": today}


def minutes(delta: datetime.timedelta) -> int:
    """Whole minutes, as the dashboard measures (``checklists.measures``): whole seconds, then
    the nearest minute, halves up."""
    return (math.floor(round(delta.total_seconds(), 3)) + 30) // 60


def p90(values: list[float]) -> float:
    # statistics' "inclusive" quantiles interpolate as percentile_cont does.
    return (
        statistics.quantiles(values, n=10, method="inclusive")[8] if len(values) > 1 else values[0]
    )


def test_percentile_interpolates_between_ranks_like_percentile_cont():
    assert selectors.percentile([1, 2, 3, 4], 0.5) == 2.5
    assert selectors.percentile([1, 2, 3, 4], 0.9) == pytest.approx(3.7)
    assert selectors.percentile([7], 0.9) == 7
    assert selectors.percentile([], 0.5) is None


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.integers(min_value=-60, max_value=600), min_size=1, max_size=200))
def test_percentiles_of_counts_equal_those_of_the_values_they_count(values):
    counts = sorted(Counter(values).items())
    for fraction in (0.0, 0.1, 0.5, 0.9, 1.0):
        assert selectors.percentile_of_counts(counts, fraction) == pytest.approx(
            selectors.percentile(sorted(values), fraction)
        )
    assert selectors.percentile_of_counts([], 0.5) is None


def test_cases_completed_counts_signed_out_cases_in_the_period(history):
    figures = selectors.dashboard(**year())
    assert figures.cases_completed == history.count()
    assert sum(month.cases for month in figures.months) == history.count()


def test_months_without_cases_are_shown_as_zero(procedure, nurse, surgeon):
    signed_out(procedure, nurse=nurse, surgeon=surgeon, scheduled_start=day(2025, 1, 15))
    signed_out(procedure, nurse=nurse, surgeon=surgeon, scheduled_start=day(2025, 3, 31, 23))

    figures = selectors.dashboard(
        date_from=datetime.date(2025, 1, 1), date_to=datetime.date(2025, 3, 31)
    )

    assert [(f"{m.month:%b}", m.cases) for m in figures.months] == [
        ("Jan", 1),
        ("Feb", 0),
        ("Mar", 1),
    ]


def test_the_period_procedure_and_surgeon_narrow_the_figures(history):
    procedure = Procedure.objects.get(slug=OPEN)
    surgeon_id = history.values_list("surgeon_id", flat=True).first()
    today = timezone.localdate()
    recent = {"date_from": today - datetime.timedelta(days=90), "date_to": today}
    expected = selectors.scheduled_between(history, **recent).filter(
        procedure=procedure, surgeon_id=surgeon_id
    )

    surgeon = get_user_model().objects.get(pk=surgeon_id)

    figures = selectors.dashboard(**recent, procedure=procedure, surgeon=surgeon)

    assert figures.cases_completed == expected.count()
    assert {row.label for row in figures.durations_by_procedure} <= {procedure.title}


def test_step_rates_count_done_not_applicable_and_missing(history):
    figures = selectors.dashboard(**year())
    steps = CaseStep.objects.filter(case__in=history)
    counted: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for phase, title, status in steps.values_list("phase", "title", "status"):
        counted[phase, title][status] += 1

    assert {(row.phase, row.title) for row in figures.steps} == set(counted)
    for row in figures.steps:
        expected = counted[row.phase, row.title]
        assert (row.done, row.not_applicable, row.missing) == (
            expected["done"],
            expected["na"],
            expected["pending"],
        )
        assert row.total == sum(expected.values())
    specimens = next(row for row in figures.steps if row.title == "Specimens labelled")
    assert specimens.not_applicable > 0 and specimens.missing > 0


def test_phase_rates_sum_their_steps_in_checklist_order(history):
    figures = selectors.dashboard(**year())
    assert [phase.phase for phase in figures.phases] == [
        "sign_in",
        "induction",
        "time_out",
        "procedure",
        "sign_out",
    ]
    for phase in figures.phases:
        rows = [row for row in figures.steps if row.phase == phase.phase]
        assert phase.total == sum(row.total for row in rows)
        recorded = sum(row.done + row.not_applicable for row in rows)
        assert phase.completion_percent == round(100 * recorded / phase.total, 1)


def test_durations_by_procedure_and_surgeon_are_median_and_90th_percentile(history):
    figures = selectors.dashboard(**year())
    by_procedure, by_surgeon = defaultdict(list), defaultdict(list)
    for case in history.select_related("procedure", "surgeon"):
        duration = minutes(case.completed_at - case.started_at)
        by_procedure[case.procedure.title].append(duration)
        by_surgeon[case.surgeon.get_full_name()].append(duration)

    for rows, expected in (
        (figures.durations_by_procedure, by_procedure),
        (figures.durations_by_surgeon, by_surgeon),
    ):
        assert {row.label for row in rows} == set(expected)
        for row in rows:
            values = sorted(expected[row.label])
            assert row.cases == len(values)
            assert row.median == pytest.approx(statistics.median(values), abs=0.051)
            assert row.p90 == pytest.approx(p90(values), abs=0.051)


def test_time_out_to_incision_is_measured_from_the_last_time_out_step(history):
    figures = selectors.dashboard(**year())
    gaps, by_procedure = [], defaultdict(list)
    for case in history.select_related("procedure"):
        steps = list(case.steps.all())
        time_out = max(s.recorded_at for s in steps if s.phase == "time_out" and s.recorded_at)
        incisions = [
            s.recorded_at
            for s in steps
            if s.phase == "procedure" and "incision" in s.title.lower() and s.status == "done"
        ]
        gap = minutes(min(incisions) - time_out)
        gaps.append(gap)
        by_procedure[case.procedure.title].append(gap)

    overall, *procedures = figures.time_out_to_incision
    assert (overall.label, overall.cases) == ("All cases", len(gaps))
    assert overall.median == pytest.approx(statistics.median(gaps), abs=0.051)
    assert overall.p90 == pytest.approx(p90(sorted(gaps)), abs=0.051)
    assert {row.label: row.cases for row in procedures} == {
        title: len(values) for title, values in by_procedure.items()
    }
    assert min(gaps) < 0  # the generated late Time Outs show as negative minutes


def test_implants_per_side_are_counted_by_procedure(history):
    figures = selectors.dashboard(**year())
    implants = Implant.objects.filter(case__in=history)
    expected = Counter(implants.values_list("case__procedure__title", "side"))
    sides = {
        key: len(set(cases))
        for key, cases in _group(implants.values_list("case__procedure__title", "side", "case"))
    }
    assert {(row.procedure, row.side.lower()): row.implants for row in figures.implants} == dict(
        expected
    )
    for row in figures.implants:
        assert row.sides == sides[row.procedure, row.side.lower()]
        assert row.mean == round(row.implants / row.sides, 2)


def _group(rows):
    grouped = defaultdict(list)
    for procedure, side, case in rows:
        grouped[procedure, side].append(case)
    return grouped.items()


def test_implants_opened_not_implanted_are_counted_by_product(logged_in, procedure, nurse, surgeon):
    wasted = [("Screw A", "Dropped"), ("Screw A", ""), ("Screw B", ""), ("Screw A", "")]
    signed_out(procedure, nurse=nurse, surgeon=surgeon, implants=wasted)
    signed_out(procedure, nurse=nurse, surgeon=surgeon, implants=[("Screw B", "Wrong size")])

    figures = selectors.dashboard(**year())

    assert [(row.product, row.opened, row.wasted, row.percent) for row in figures.waste] == [
        ("Screw A", 3, 1, 33.3),
        ("Screw B", 2, 1, 50.0),
    ]
    # Implants per side count those placed only.
    assert sum(row.implants for row in figures.implants) == 3
    table = re.search(
        r'<table[^>]*id="table-waste".*?</table>', logged_in.get(DASHBOARD).content.decode(), re.S
    )[0]
    assert '<th scope="row">Screw A</th><td></td><td>3</td><td>1</td><td>33.3</td>' in table


def test_an_empty_period_shows_no_figures(db):
    figures = selectors.dashboard(
        date_from=datetime.date(2001, 1, 1), date_to=datetime.date(2001, 1, 31)
    )
    assert figures.cases_completed == 0
    assert figures.steps == figures.phases == figures.implants == []
    assert figures.time_out_to_incision == figures.durations_by_surgeon == []


# --- the page ----------------------------------------------------------------------------------


def test_the_page_draws_each_chart_from_embedded_data_with_no_inline_script(logged_in, history):
    page = logged_in.get(DASHBOARD).content.decode()

    scripts = re.findall(r"<script([^>]*)>", page)
    assert all(
        "src=" in attributes or 'type="application/json"' in attributes for attributes in scripts
    )
    assert "vendor/chartjs/chart.umd.min.js" in page and "js/dashboard.js" in page
    data = json.loads(
        re.search(r'id="dashboard-data" type="application/json">(.*?)</script>', page, re.S)[1]
    )
    figures = selectors.dashboard(
        **{**year(), "date_from": default_period_start(timezone.localdate())}
    )
    assert data == json.loads(json.dumps(figures.chart_data()))
    assert len(re.findall(r'<canvas id="chart-[\w-]+" role="img" aria-label="', page)) == 9


def test_each_chart_has_a_table_of_the_same_numbers(logged_in, history):
    page = logged_in.get(DASHBOARD).content.decode()
    data = json.loads(re.search(r'type="application/json">(.*?)</script>', page, re.S)[1])
    table = re.search(r'id="table-durations-procedure">(.*?)</table>', page, re.S)[1]
    cells = re.findall(r"<td>([\d.]+)</td><td>([\d.]+)</td></tr>", table)
    assert [(float(m), float(p)) for m, p in cells] == list(
        zip(
            data["durations_by_procedure"]["median"],
            data["durations_by_procedure"]["p90"],
            strict=True,
        )
    )
    months = re.search(r'id="table-months">(.*?)</table>', page, re.S)[1]
    assert [int(n) for n in re.findall(r"<td>(\d+)</td>", months)] == data["months"]["cases"]


def test_the_default_period_is_this_month_and_the_twelve_before(logged_in, db):
    page = logged_in.get(DASHBOARD).content.decode()
    today = timezone.localdate()
    assert f'value="{today:%Y-%m-%d}"' in page
    assert f'value="{today.year - 1}-{today.month:02}-01"' in page
    assert default_period_start(datetime.date(2026, 3, 31)) == datetime.date(2025, 3, 1)
    assert default_period_start(datetime.date(2028, 2, 29)) == datetime.date(2027, 2, 1)


def test_a_period_that_ends_before_it_starts_is_refused_with_a_message(logged_in, db):
    response = logged_in.get(DASHBOARD, {"date_from": "2025-05-01", "date_to": "2025-04-01"})
    assert response.status_code == 400
    assert "The start of the period must be before its end." in response.content.decode()


def test_the_dashboard_filters_by_surgeon_from_the_page(logged_in, history):
    surgeon_id = history.values_list("surgeon_id", flat=True).first()
    response = logged_in.get(DASHBOARD, {"surgeon": surgeon_id})
    total = int(re.search(r'id="cases-completed">(\d+)<', response.content.decode())[1])
    today = timezone.localdate()
    expected = selectors.scheduled_between(
        history.filter(surgeon_id=surgeon_id),
        date_from=default_period_start(today),
        date_to=today,
    )
    assert total == expected.count()


# Session, user, permissions (2), roles for the header, the form's procedures and surgeons, and
# the figures: months, steps, Time Out to incision with durations by procedure, durations by
# surgeon, implants, implants opened but not implanted, the quality of the checks by month and
# its median Time Out (16 before Time Out to incision and durations shared their query).
DASHBOARD_QUERIES = 15


def test_the_dashboard_costs_the_same_queries_for_few_or_many_cases(
    logged_in, procedure, nurse, surgeon, django_assert_max_num_queries
):
    signed_out(procedure, nurse=nurse, surgeon=surgeon)
    logged_in.get(DASHBOARD)  # the session's first request writes its start time: not counted
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        assert logged_in.get(DASHBOARD).status_code == 200

    bulk.generate(count=150, seed=32)
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        assert logged_in.get(DASHBOARD).status_code == 200


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
@pytest.mark.parametrize("url", ["/review/", "/review/export/", "/review/dashboard/"])
def test_an_out_of_range_date_is_a_message_not_a_server_error(client, reviewer, url, day):
    client.force_login(reviewer)
    response = client.get(url, {"date_to": day, "date_from": day})
    assert response.status_code < 500


def test_the_counted_figures_equal_those_read_from_the_cases_for_any_period_and_filter(
    history, procedure, nurse, surgeon
):
    """The day-by-day counts the dashboard sums give exactly what reading every case, step
    and implant of the period gives: over generated history (amended, cancelled, implants
    wasted) and a workflow case amended from pending to not applicable, for periods with
    edges inside months, one day, whole months, and each procedure and surgeon filter."""
    case = signed_out(
        procedure,
        nurse=nurse,
        surgeon=surgeon,
        scheduled_start=timezone.now() - datetime.timedelta(days=20),
        implants=[("iFuse-3D", ""), ("iFuse-3D", "Contaminated")],
    )
    specimens = case.steps.get(title="Specimens labelled")
    workflow.amend(
        actor=surgeon,
        case_id=case.pk,
        step_id=specimens.pk,
        answer=workflow.Answer(status="na", na_reason="No specimen"),
        revision=specimens.revision,
        reason="Recorded late",
        password=PASSWORD,
    )
    today = timezone.localdate()
    periods = [
        (today - datetime.timedelta(days=400), today),
        (today - datetime.timedelta(days=137), today - datetime.timedelta(days=12)),
        (timezone.localdate(case.scheduled_start),) * 2,
        # Whole months only (no partial day to read from the cases), to the end of last month.
        (
            (today.replace(day=1) - datetime.timedelta(days=150)).replace(day=1),
            today.replace(day=1) - datetime.timedelta(days=1),
        ),
    ]
    surgeon_id = history.values_list("surgeon_id", flat=True).first()
    filters = [{}, {"procedure": Procedure.objects.get(slug=OPEN)}, {"procedure": procedure}]
    filters += [{"surgeon": get_user_model().objects.get(pk=surgeon_id)}, {"surgeon": surgeon}]
    for date_from, date_to in periods:
        for narrowed in filters:
            figures = selectors.dashboard(date_from=date_from, date_to=date_to, **narrowed)
            assert _read_from_cases(date_from, date_to, **narrowed) == (
                [(month.month, month.cases) for month in figures.months],
                {(r.phase, r.title): (r.done, r.not_applicable, r.missing) for r in figures.steps},
                {(r.procedure, r.side): (r.implants, r.sides) for r in figures.implants},
                {(r.manufacturer, r.product): (r.opened, r.wasted) for r in figures.waste},
            )
            assert _spreads_from_cases(date_from, date_to, **narrowed) == {
                "time out to incision": _spread_figures(figures.time_out_to_incision),
                "by procedure": _spread_figures(figures.durations_by_procedure),
                "by surgeon": _spread_figures(figures.durations_by_surgeon),
                "quality": [_quality_figures(month) for month in figures.quality],
            }


def _quality_figures(m) -> tuple:
    counts = (m.cases, m.read_aloud, m.full_team, m.attested_well, m.after_the_fact, m.stops)
    return (m.month, *counts, m.median_time_out_seconds)


def _spread_figures(rows) -> dict:
    return {row.label: (row.cases, row.median, row.p90) for row in rows}


def _spreads_from_cases(date_from, date_to, *, procedure=None, surgeon=None) -> dict:
    """The medians, 90th percentiles and quality by month, read case by case in Python: whole
    minutes (``minutes``), the percentiles interpolated as ``percentile_cont`` does."""
    gaps, durations, by_surgeon = defaultdict(list), defaultdict(list), defaultdict(list)
    quality: dict = {}
    month = date_from.replace(day=1)
    while month <= date_to:
        quality[month] = [0, 0, 0, 0, 0, 0, []]
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    for case in Case.objects.filter(status__in=["completed", "reviewed"]).select_related(
        "procedure", "surgeon", "quality"
    ):
        local = timezone.localdate(case.scheduled_start)
        if not date_from <= local <= date_to or procedure not in (None, case.procedure):
            continue
        if surgeon not in (None, case.surgeon):
            continue
        title = case.procedure.title
        if case.time_out_at and case.incision_at:
            gap = minutes(case.incision_at - case.time_out_at)
            gaps["All cases"].append(gap)
            gaps[title].append(gap)
        if case.started_at and case.completed_at:
            duration = minutes(case.completed_at - case.started_at)
            durations[title].append(duration)
            by_surgeon[case.surgeon.get_full_name()].append(duration)
        facts = getattr(case, "quality", None)
        if facts is not None:
            row = quality[local.replace(day=1)]
            for index, fact in enumerate((True, facts.read_aloud, facts.full_team)):
                row[index] += bool(fact)
            row[3] += bool(facts.attested_well)
            row[4] += facts.recorded_after_the_fact
            row[5] += facts.stops
            if facts.time_out_seconds is not None:
                row[6].append(facts.time_out_seconds)

    def figures(groups: dict) -> dict:
        return {
            label: (
                len(values),
                round(selectors.percentile(sorted(values), 0.5), 1),
                round(selectors.percentile(sorted(values), 0.9), 1),
            )
            for label, values in groups.items()
        }

    return {
        "time out to incision": figures(gaps),
        "by procedure": figures(durations),
        "by surgeon": figures(by_surgeon),
        "quality": [
            (month, *row[:6], selectors.percentile(sorted(row[6]), 0.5))
            for month, row in sorted(quality.items())
        ],
    }


def _read_from_cases(date_from, date_to, *, procedure=None, surgeon=None):
    """Months, step counts, implants per side and waste, read case by case in Python."""
    cases = [
        case
        for case in Case.objects.filter(status__in=["completed", "reviewed"]).select_related(
            "procedure"
        )
        if date_from <= timezone.localdate(case.scheduled_start) <= date_to
        and procedure in (None, case.procedure)
        and surgeon in (None, case.surgeon)
    ]
    months: Counter = Counter()
    month = date_from.replace(day=1)
    while month <= date_to:
        months[month] = 0
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    steps: dict = defaultdict(lambda: [0, 0, 0])
    sides: dict = defaultdict(lambda: [0, set()])
    products: dict = defaultdict(lambda: [0, 0])
    for case in cases:
        months[timezone.localdate(case.scheduled_start).replace(day=1)] += 1
        for step in case.steps.all():
            steps[step.phase, step.title][["done", "na", "pending"].index(step.status)] += 1
        for implant in case.implants.all():
            products[implant.manufacturer, implant.product][0] += 1
            if implant.wasted_reason:
                products[implant.manufacturer, implant.product][1] += 1
                continue
            side = sides[case.procedure.title, Side(implant.side).label]
            side[0] += 1
            side[1].add(case.pk)
    return (
        sorted(months.items()),
        {key: tuple(value) for key, value in steps.items()},
        {key: (count, len(seen)) for key, (count, seen) in sides.items()},
        {key: tuple(value) for key, value in products.items() if value[1]},
    )
