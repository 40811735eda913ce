"""A reviewer at a desktop: finds a surgeon's cases of a month, files one, reads the dashboard."""

import datetime
import re
import statistics
from collections import Counter

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from checklists import bulk
from checklists.choices import CaseStatus
from checklists.models import Case, CaseStep
from review.forms import default_period_start
from tests.browser.conftest import browser_test, log_in, screenshot, serious_violations
from tests.conftest import make_procedure, tamper
from tests.review.conftest import STEPS, signed_out
from tests.review.test_dashboard import minutes

pytestmark = [pytest.mark.browser, browser_test]

DESKTOP = {"width": 1440, "height": 900}


def at(year: int, month: int, day: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(year, month, day, 8, 30))


@pytest.fixture
def month_of_cases(nurse, surgeon, other_surgeon):
    """Sue Surgeon's two cases in March 2025, and cases around them that the filters drop."""
    procedure = make_procedure(*STEPS, title="Small fusion", slug="small-fusion")
    march = [
        signed_out(procedure, nurse=nurse, surgeon=surgeon, scheduled_start=at(2025, 3, day))
        for day in (4, 18)
    ]
    signed_out(procedure, nurse=nurse, surgeon=surgeon, scheduled_start=at(2025, 4, 2))
    signed_out(procedure, nurse=nurse, surgeon=other_surgeon, scheduled_start=at(2025, 3, 11))
    return march


def test_a_reviewer_finds_a_surgeons_month_opens_a_record_and_marks_it_reviewed(
    page, live_server, reviewer, month_of_cases
):
    page.set_viewport_size(DESKTOP)
    log_in(page, live_server, "reviewer")
    page.get_by_role("link", name="Review", exact=True).click()
    expect(page.get_by_role("heading", name="Cases for review")).to_be_visible()
    assert serious_violations(page) == []

    filters = page.get_by_role("form", name="Filter cases")
    filters.get_by_label("From").fill("2025-03-01")
    filters.get_by_label("To").fill("2025-03-31")
    filters.get_by_label("Surgeon").select_option(label="Sue Surgeon")
    filters.get_by_role("button", name="Apply filters").click()

    expect(page.get_by_role("heading", name="2 cases")).to_be_visible()
    assert "date_from=2025-03-01" in page.url and "surgeon=" in page.url
    rows = page.locator("table.review-table tbody tr")
    expect(rows).to_have_count(2)
    newest = max(month_of_cases, key=lambda case: case.scheduled_start)
    expect(rows.first).to_contain_text("18 Mar 2025")
    screenshot(page, "review-list")

    page.get_by_role("link", name=f"Case {newest.pk}", exact=True).click()
    expect(page.get_by_role("heading", name=f"Case {newest.pk}: Small fusion")).to_be_visible()
    expect(page.locator("#audit-chain")).to_have_text("Audit chain verified")
    expect(page.get_by_text("MRN0042")).to_be_visible()
    assert serious_violations(page) == []

    page.get_by_label("Review comment").fill("Complete; Time Out before incision.")
    page.get_by_role("button", name="Mark reviewed").click()

    expect(page.get_by_role("status").filter(has_text="marked reviewed")).to_be_visible()
    expect(page.get_by_text("Reviewed by")).to_be_visible()
    expect(page.get_by_role("button", name="Mark reviewed")).to_have_count(0)
    screenshot(page, "review-record")
    newest.refresh_from_db()
    assert newest.status == CaseStatus.REVIEWED
    assert newest.review_comment == "Complete; Time Out before incision."


def test_the_dashboard_draws_its_charts_and_its_tables_match_the_database(
    page, live_server, reviewer
):
    bulk.generate(count=120, seed=51)
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.set_viewport_size(DESKTOP)
    log_in(page, live_server, "reviewer")

    page.goto(f"{live_server.url}/review/dashboard/")

    canvases = page.locator("canvas[id^=chart-]")
    expect(canvases).to_have_count(9)
    drawn = page.evaluate(
        "[...document.querySelectorAll('canvas[id^=chart-]')]"
        ".map((canvas) => Boolean(window.Chart && Chart.getChart(canvas)) && canvas.width > 0)"
    )
    assert drawn == [True] * 9
    assert problems == []  # no script errors, no Content Security Policy refusals

    today = timezone.localdate()
    cases = Case.objects.filter(
        status__in=[CaseStatus.COMPLETED, CaseStatus.REVIEWED],
        scheduled_start__gte=timezone.make_aware(
            datetime.datetime.combine(default_period_start(today), datetime.time.min)
        ),
    )
    expect(page.locator("#cases-completed")).to_have_text(str(cases.count()))

    per_month = Counter(
        timezone.localtime(start).strftime("%b %Y")
        for start in cases.values_list("scheduled_start", flat=True)
    )
    month_rows = page.locator("#table-months tbody tr")
    shown = {
        row.locator("th").inner_text(): int(row.locator("td").inner_text())
        for row in month_rows.all()
    }
    assert {month: n for month, n in shown.items() if n} == dict(per_month)

    durations: dict[str, list[int]] = {}  # whole minutes, as the dashboard measures
    for title, started, completed in cases.values_list(
        "procedure__title", "started_at", "completed_at"
    ):
        durations.setdefault(title, []).append(minutes(completed - started))
    for row in page.locator("#table-durations-procedure tbody tr").all():
        title = row.locator("th").inner_text()
        count, median, _ = (cell.inner_text() for cell in row.locator("td").all())
        assert int(count) == len(durations[title])
        assert float(median) == pytest.approx(statistics.median(durations[title]), abs=0.051)

    assert serious_violations(page) == []
    screenshot(page, "review-dashboard")


def test_the_record_prints_without_navigation(page, live_server, reviewer, nurse, surgeon):
    procedure = make_procedure(*STEPS, title="Small fusion", slug="small-fusion")
    case = signed_out(procedure, nurse=nurse, surgeon=surgeon)
    log_in(page, live_server, "reviewer")
    page.goto(f"{live_server.url}/review/{case.pk}/")
    expect(page.get_by_role("button", name="Print record")).to_be_visible()

    page.emulate_media(media="print")

    expect(page.locator("header.navbar")).to_be_hidden()
    expect(page.get_by_role("button", name="Mark reviewed")).to_be_hidden()
    expect(
        page.get_by_role("heading", name=re.compile(r"^Case \d+: Small fusion$"))
    ).to_be_visible()
    breaks = page.evaluate(
        "[...document.querySelectorAll('.record-phase')]"
        ".map((section) => getComputedStyle(section).breakBefore)"
    )
    assert set(breaks) == {"page"}


def test_a_record_whose_rows_left_their_chain_says_where(
    page, live_server, reviewer, nurse, surgeon
):
    procedure = make_procedure(*STEPS, title="Small fusion", slug="small-fusion")
    case = signed_out(procedure, nurse=nurse, surgeon=surgeon, incision="4")
    incision = case.steps.get(title="Skin incision made")
    tamper(CaseStep, "UPDATE {table} SET value = '5' WHERE id = %s", incision.pk)
    page.set_viewport_size(DESKTOP)
    log_in(page, live_server, "reviewer")

    page.goto(f"{live_server.url}/review/{case.pk}/")

    expect(page.locator("#audit-chain")).to_have_text("Audit chain BROKEN")
    expect(page.get_by_role("alert")).to_contain_text(
        f"Case {case.pk}, step 'Skin incision made': the chain says value '4', the row says '5'"
    )
    assert serious_violations(page) == []
    screenshot(page, "review-record-rows-differ", full_page=False)
