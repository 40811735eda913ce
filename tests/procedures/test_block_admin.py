"""Shared blocks through the Django admin, as a clinical lead uses them: the block's page with
the procedures that include it, its draft edited in the step table, previewed inside a
procedure, and published, which publishes those procedures; on a procedure's draft, the block's
steps shown read-only, named by their block, edited in the block only."""

import pytest
from django.contrib.messages import get_messages

from procedures.blocks import start_block_draft
from procedures.choices import VersionStatus
from procedures.models import Block, BlockVersion, Procedure
from tests.procedures.test_admin import (
    draft_of as procedure_draft_of,
)
from tests.procedures.test_admin import (
    errors_of,
    form_data,
    step_row,
    version_url,
)

BLOCKS = "/admin/procedures/block/"
MI, OPEN, WHO = "si-fusion-minimally-invasive", "si-fusion-open", "who-surgical-safety-checklist"
TIME_OUT = "si-fusion-time-out"
INTRODUCED = "Team members introduced by name and role"
# The session, the person and their permissions, the admin's sidebar, the page's own reads.
PAGE_QUERIES = 14


def block(slug: str) -> Block:
    return Block.objects.get(slug=slug)


def block_url(found: Block) -> str:
    return f"{BLOCKS}{found.pk}/change/"


def block_version_url(version: BlockVersion) -> str:
    return f"/admin/procedures/blockversion/{version.pk}/change/"


def open_draft(client, found: Block) -> BlockVersion:
    """ "Edit the steps" on the block's page, as the lead presses it."""
    response = client.post(f"{BLOCKS}{found.pk}/draft/")
    draft = found.versions.get(status=VersionStatus.DRAFT)
    assert response.status_code == 302
    assert response["Location"] == block_version_url(draft)
    return draft


def test_the_blocks_are_listed_with_their_phase_and_published_version(administrator_client):
    response = administrator_client.get(BLOCKS)

    assert response.status_code == 200
    rows = {b.title: (b.published_number, b.step_count) for b in response.context["cl"].result_list}
    assert rows["WHO Time Out"] == (1, 7)
    assert rows["SI joint fusion Sign Out"] == (1, 4)


def test_a_blocks_page_names_the_procedures_that_include_it_in_few_queries(
    administrator_client, django_assert_max_num_queries
):
    url = block_url(block(TIME_OUT))
    administrator_client.get(url)

    with django_assert_max_num_queries(PAGE_QUERIES):
        response = administrator_client.get(url)

    assert response.status_code == 200
    assert "SI joint fusion — open</a>, version 2 published" in response.text
    assert "SI joint fusion — minimally invasive (lateral transiliac)</a>" in response.text


def test_a_blocks_draft_page_reads_in_few_queries(
    administrator_client, administrator, django_assert_max_num_queries
):
    draft = start_block_draft(block=block(TIME_OUT), by=administrator)
    url = block_version_url(draft)
    administrator_client.get(url)

    with django_assert_max_num_queries(PAGE_QUERIES + 2):  # its steps, and the diff's two
        response = administrator_client.get(url)

    assert response.status_code == 200
    assert "Publishing this draft publishes a new version of each" in response.text
    assert f"/procedures/blocks/versions/{draft.pk}/preview/" in response.text


def test_a_lead_edits_a_block_previews_it_and_publishes_it_with_its_procedures(
    administrator_client, administrator, nurse, surgeon
):
    from tests.conftest import make_case

    before = make_case(Procedure.objects.get(slug=OPEN), actor=nurse, surgeon=surgeon)
    draft = open_draft(administrator_client, block(TIME_OUT))
    data = form_data(administrator_client.get(block_version_url(draft)))
    row = step_row(data, INTRODUCED)
    data[f"{row}-title"] = "Every team member introduced by name and role"
    saved = administrator_client.post(block_version_url(draft), data | {"_continue": "1"})
    assert saved.status_code == 302

    preview = administrator_client.get(
        f"/procedures/blocks/versions/{draft.pk}/preview/",
        {"procedure": Procedure.objects.get(slug=OPEN).pk},
    )
    assert preview.status_code == 200
    assert "Every team member introduced by name and role" in preview.text
    assert "in SI joint fusion — open, as the tablet will show it" in preview.text
    assert "gives SI joint fusion — open these steps as its version 3" in preview.text
    assert "<dt>Version</dt><dd>3, draft</dd>" in preview.text

    data = form_data(administrator_client.get(block_version_url(draft)))
    published = administrator_client.post(
        block_version_url(draft),
        data | {"change_note": "The WHO's words.", "_publish": "1"},
    )

    assert published.status_code == 302
    assert published["Location"] == block_url(block(TIME_OUT))
    [message] = get_messages(published.wsgi_request)
    assert "published, and with it 2 procedure versions" in message.message
    for slug in (MI, OPEN):
        version = Procedure.objects.get(slug=slug).published_version()
        assert (version.number, version.published_by) == (3, administrator)
        assert version.change_note == "SI joint fusion Time Out version 2: The WHO's words."
        assert version.steps.filter(title__startswith="Every team member").exists()
    before.refresh_from_db()
    assert before.procedure_version.number == 2  # the case keeps its version
    assert before.steps.filter(title=INTRODUCED).exists()


def test_publishing_is_refused_with_a_message_while_a_procedure_has_a_draft(
    administrator_client, administrator
):
    procedure_draft_of(Procedure.objects.get(slug=MI))
    draft = open_draft(administrator_client, block(TIME_OUT))
    data = form_data(administrator_client.get(block_version_url(draft)))

    response = administrator_client.post(
        block_version_url(draft), data | {"change_note": "Words.", "_publish": "1"}, follow=True
    )

    assert response.status_code == 200
    assert "Saved, not published: A procedure that includes this block has a draft" in (
        response.text
    )
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT


def test_on_a_procedures_draft_the_blocks_steps_are_read_only_and_named(administrator_client):
    draft = procedure_draft_of(Procedure.objects.get(slug=WHO))
    response = administrator_client.get(version_url(draft))

    assert response.status_code == 200
    assert "WHO Time Out</a> v1: edited in the block only" in response.text
    formset = response.context["inline_admin_formsets"][0].formset
    assert all(form.fields["title"].disabled for form in formset.forms if form.instance.pk)

    data = form_data(response)
    row = step_row(data, "Site marked")
    changed = administrator_client.post(
        version_url(draft), data | {f"{row}-title": "Site marked (or not)", "_continue": "1"}
    )
    assert changed.status_code == 302
    assert draft.steps.filter(title="Site marked").exists()  # the posted title is ignored


def test_a_blocks_step_cannot_be_deleted_from_a_procedures_draft(administrator_client):
    draft = procedure_draft_of(Procedure.objects.get(slug=WHO))
    data = form_data(administrator_client.get(version_url(draft)))
    row = step_row(data, "Site marked")

    response = administrator_client.post(version_url(draft), data | {f"{row}-DELETE": "on"})

    assert response.status_code == 200
    assert "comes from WHO Sign In" in errors_of(response)
    assert draft.steps.filter(title="Site marked").exists()


@pytest.mark.parametrize("persona", ["nurse", "reviewer"])
def test_other_roles_reach_neither_the_blocks_nor_their_preview(db, client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    version = block(TIME_OUT).published_version()

    assert client.get(BLOCKS, follow=True).status_code == 403
    assert client.get(f"/procedures/blocks/versions/{version.pk}/preview/").status_code == 403


def test_a_block_no_procedure_includes_has_no_preview(administrator_client, administrator):
    found = Block.objects.create(title="Local Sign In", slug="local-sign-in", phase="sign_in")
    draft = start_block_draft(block=found, by=administrator)

    assert (
        administrator_client.get(f"/procedures/blocks/versions/{draft.pk}/preview/").status_code
        == 404
    )
    assert (
        administrator_client.get("/procedures/blocks/versions/999999/preview/").status_code == 404
    )


def test_a_procedures_draft_includes_a_block_from_its_page(administrator_client):
    from tests.procedures.test_admin import make_procedure

    procedure = make_procedure("Hand check", [("sign_in", "Identity confirmed")])
    draft = procedure_draft_of(procedure)
    page = administrator_client.get(version_url(draft))
    assert "Include a shared block" in page.text
    url = f"/admin/procedures/procedureversion/{draft.pk}/include-block/"

    response = administrator_client.post(url, {"block": block("who-sign-out").pk})

    assert response.status_code == 302
    [message] = get_messages(response.wsgi_request)
    assert message.message.startswith("WHO Sign Out: its 5 steps added to the draft")
    assert draft.steps.filter(block_step__isnull=False).count() == 5
    again = administrator_client.post(url, {"block": block("who-sign-out").pk})
    assert "Choose one of the blocks offered" in str(list(get_messages(again.wsgi_request))[-1])
    assert administrator_client.get(url).status_code == 405


def test_a_blocks_steps_moved_in_a_procedures_draft_keep_their_answers_and_publish(
    administrator_client,
):
    from tests.procedures.test_admin import dragged

    procedure = Procedure.objects.get(slug=WHO)
    draft = procedure_draft_of(procedure)
    data = form_data(administrator_client.get(version_url(draft)))
    titles = list(draft.steps.order_by("position").values_list("title", flat=True))
    titles[1], titles[2] = titles[2], titles[1]  # "Site marked" after the anaesthesia check

    response = administrator_client.post(
        version_url(draft),
        dragged(data, *titles) | {"change_note": "Site marked later.", "_publish": "1"},
    )

    assert response.status_code == 302
    version = procedure.published_version()
    assert version.number == 2
    moved = version.steps.get(title="Site marked")
    assert (moved.position, moved.options) == (3, ["Yes", "No", "Not applicable"])
    assert moved.block_step.version.block.slug == "who-sign-in"
