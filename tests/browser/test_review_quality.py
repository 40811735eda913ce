"""The quality of the checks in a reviewer's browser: the dashboard's two charts drawn from
generated history, with the table beside them; the record's section. axe clean, looked at."""

import pytest
from playwright.sync_api import expect

from checklists import bulk
from checklists.models import CaseQuality
from tests.browser.conftest import browser_test, element_screenshot, log_in, serious_violations

pytestmark = [pytest.mark.browser, browser_test]

DESKTOP = {"width": 1440, "height": 900}


@pytest.fixture
def history(reviewer):
    bulk.generate(count=150, seed=61)


def test_the_dashboard_charts_the_quality_of_the_checks(page, live_server, history):
    page.set_viewport_size(DESKTOP)
    log_in(page, live_server, "reviewer")

    page.goto(f"{live_server.url}/review/dashboard/")

    panel = page.locator("#quality-of-checks")
    expect(
        panel.get_by_role("heading", name="Quality of the checks, month by month")
    ).to_be_visible()
    drawn = page.evaluate(
        "['chart-quality-rates', 'chart-quality-stops'].map((id) => {"
        " const chart = Chart.getChart(document.getElementById(id));"
        " return chart ? chart.data.datasets.map((set) => set.label) : null; })"
    )
    assert drawn == [
        ["Full team present %", "All three attestations yes %", "Recorded after the fact %"],
        ["Stops per 100 cases", "Median Time Out (s)"],
    ]
    rows = panel.locator("#table-quality tbody tr")
    cases = sum(int(row.locator("td").first.inner_text()) for row in rows.all())
    assert cases == CaseQuality.objects.filter(case__status__in=["completed", "reviewed"]).count()
    assert serious_violations(page) == []
    element_screenshot(panel, "review-dashboard-quality")


def test_the_record_shows_the_quality_of_the_checks(page, live_server, history):
    row = CaseQuality.objects.filter(stops__gt=0).first()
    page.set_viewport_size(DESKTOP)
    log_in(page, live_server, "reviewer")

    page.goto(f"{live_server.url}/review/{row.case_id}/")

    section = page.locator("#quality-of-checks")
    expect(section.get_by_role("heading", name="Quality of the checks")).to_be_visible()
    expect(section.get_by_role("row", name="Time Outs repeated")).to_contain_text("1")
    expect(section.get_by_role("row", name="Stops called")).to_contain_text("longest")
    assert serious_violations(page) == []
    element_screenshot(section, "review-record-quality")
