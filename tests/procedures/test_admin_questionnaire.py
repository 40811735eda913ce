"""A template's FHIR Questionnaire in the admin: exported from a version's page or by the
procedure list's action (a JSON file to download), imported by an upload form as a new draft;
a file the rules refuse is answered on the form with its reason, and nothing is written."""

import json

from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from fhir.resources.R4B.questionnaire import Questionnaire

from procedures.choices import VersionStatus
from procedures.models import Procedure, ProcedureVersion, Step
from procedures.questionnaire import APPROACH, export_json
from tests.procedures.test_questionnaire import counts, steps_of

CHANGELIST = "/admin/procedures/procedure/"
IMPORT = f"{CHANGELIST}import/"
OPEN = "si-fusion-open"
PAGE_QUERIES = 12  # the session, the person and their permissions, the admin's sidebar


def export_url(version: ProcedureVersion) -> str:
    return f"/admin/procedures/procedureversion/{version.pk}/questionnaire/"


def upload(text: str, name: str = "open.json") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="application/json")


def test_a_versions_page_downloads_it_as_a_questionnaire(
    administrator_client, django_assert_max_num_queries
):
    version = Procedure.objects.get(slug=OPEN).published_version()

    with django_assert_max_num_queries(PAGE_QUERIES):
        response = administrator_client.get(export_url(version))

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="{OPEN}-version-{version.number}.questionnaire.json"'
    )
    assert response.content.decode() == export_json(version)
    assert Questionnaire.model_validate_json(response.content).title == version.procedure.title
    page = administrator_client.get(f"/admin/procedures/procedureversion/{version.pk}/change/")
    assert export_url(version) in page.content.decode()


def test_an_unknown_version_has_nothing_to_download(administrator_client):
    assert administrator_client.get(export_url(ProcedureVersion(pk=999999))).status_code == 404


def test_the_procedure_lists_action_exports_one_procedure(administrator_client):
    procedure = Procedure.objects.get(slug=OPEN)

    response = administrator_client.post(
        CHANGELIST, {"action": "export_questionnaire", "_selected_action": [procedure.pk]}
    )

    assert response.status_code == 200
    document = json.loads(response.content)
    assert (document["resourceType"], document["version"]) == (
        "Questionnaire",
        str(procedure.published_version().number),
    )


def test_the_action_asks_for_one_procedure_at_a_time(administrator_client):
    chosen = list(Procedure.objects.values_list("pk", flat=True)[:2])

    response = administrator_client.post(
        CHANGELIST, {"action": "export_questionnaire", "_selected_action": chosen}, follow=True
    )

    assert response.status_code == 200
    assert "Choose one procedure to export: one file each." in response.content.decode()


def test_an_uploaded_questionnaire_becomes_a_draft(
    administrator_client, administrator, django_assert_max_num_queries
):
    procedure = Procedure.objects.get(slug=OPEN)
    published = procedure.published_version()
    with django_assert_max_num_queries(PAGE_QUERIES):
        form = administrator_client.get(IMPORT)
    assert form.status_code == 200
    assert IMPORT in administrator_client.get(CHANGELIST).content.decode()

    response = administrator_client.post(IMPORT, {"file": upload(export_json(published))})

    draft = procedure.versions.get(status=VersionStatus.DRAFT)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/procedures/procedureversion/{draft.pk}/change/"
    assert (draft.created_by, steps_of(draft)) == (administrator, steps_of(published))
    [message] = get_messages(response.wsgi_request)
    assert f"Imported open.json as draft version {published.number + 1} of" in message.message


def test_an_import_into_an_existing_procedure_says_its_title_and_approach_are_kept(
    administrator_client,
):
    procedure = Procedure.objects.get(slug=OPEN)
    document = json.loads(export_json(procedure.published_version()))
    document["title"] = "Their SI fusion"
    document["extension"] = [{"url": APPROACH, "valueCode": "any"}]

    response = administrator_client.post(IMPORT, {"file": upload(json.dumps(document))})

    assert response.status_code == 302
    imported, kept = get_messages(response.wsgi_request)
    assert imported.message.startswith("Imported open.json as draft version")
    assert kept.message.startswith(
        "The file's title and approach differ from the procedure's and were not applied"
    )
    procedure.refresh_from_db()
    assert (procedure.title, procedure.approach) == ("SI joint fusion — open", "open")


def test_a_bad_upload_is_refused_on_the_form_and_nothing_written(administrator_client):
    before = counts()
    document = json.loads(export_json(Procedure.objects.get(slug=OPEN).published_version()))
    document["resourceType"] = "Patient"

    response = administrator_client.post(IMPORT, {"file": upload(json.dumps(document))})

    assert response.status_code == 422
    page = response.content.decode()
    assert "not a FHIR Questionnaire (its resourceType is Patient)" in page
    assert "Nothing was imported" in page
    assert counts() == before
    missing = administrator_client.post(IMPORT, {})
    assert missing.status_code == 422 and "This field is required" in missing.content.decode()
    assert Step.objects.count() == before[2]
