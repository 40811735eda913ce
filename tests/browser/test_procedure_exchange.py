"""An administrator moves a template between hospitals in the admin at 1366x768: downloads a
version as a FHIR Questionnaire from its page, uploads a file that is not one (refused on the
form with the reason), then the right one, which becomes a draft to preview and publish."""

import json

import pytest
from playwright.sync_api import expect

from procedures.choices import VersionStatus
from procedures.models import Procedure
from tests.browser.conftest import browser_test, log_in, screenshot
from tests.browser.test_procedure_editor import serious_violations_of_admin_page

pytestmark = [pytest.mark.browser, browser_test]

OPEN = "si-fusion-open"


def test_an_administrator_exports_a_version_and_imports_it_as_a_draft(
    page, live_server, administrator, tmp_path, csp_violations
):
    procedure = Procedure.objects.get(slug=OPEN)
    published = procedure.published_version()
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, live_server, "admin")

    page.goto(f"{live_server.url}/admin/procedures/procedureversion/{published.pk}/change/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export as FHIR Questionnaire").click()
    exported = tmp_path / download.value.suggested_filename
    download.value.save_as(exported)
    assert exported.name == f"{OPEN}-version-{published.number}.questionnaire.json"
    assert json.loads(exported.read_text())["title"] == procedure.title

    page.goto(f"{live_server.url}/admin/procedures/procedure/")
    page.get_by_role("link", name="Import a FHIR Questionnaire").click()
    wrong = tmp_path / "patient.json"
    wrong.write_text(json.dumps({"resourceType": "Patient"}))
    page.get_by_label("Questionnaire file (JSON)").set_input_files(wrong)
    page.get_by_role("button", name="Import as a draft").click()
    expect(page.get_by_text("its resourceType is Patient")).to_be_visible()
    screenshot(page, "procedure-import-refused-1366", full_page=False)
    assert serious_violations_of_admin_page(page, csp_violations) == []
    assert not procedure.versions.filter(status=VersionStatus.DRAFT).exists()

    page.get_by_label("Questionnaire file (JSON)").set_input_files(exported)
    page.get_by_role("button", name="Import as a draft").click()

    expect(page.get_by_text(f"as draft version {published.number + 1} of")).to_be_visible()
    screenshot(page, "procedure-imported-draft-1366", full_page=False)
    draft = procedure.versions.get(status=VersionStatus.DRAFT)
    assert draft.steps.count() == published.steps.count()
    assert page.url.endswith(f"/admin/procedures/procedureversion/{draft.pk}/change/")
