"""A procedure version's preview: the tablet's checklist drawn from an unsaved case, for the
clinical leads who edit the template, with every control shown and disabled, nothing saved."""

import re

import pytest

from accounts import roles
from checklists.models import AuditEvent, Case, CaseStep, RecordAccess
from procedures.choices import Phase, StepRole
from procedures.models import ProcedureVersion, Step
from tests.checklists.checklist_html import (
    IDENTITY,
    INCISION,
    TEAM,
    buttons,
    content,
    mi_procedure,
    text,
)
from tests.conftest import make_procedure, make_user
from tests.procedures.test_versions import edit_draft

ADDED = "C-arm draped and positioned"


def preview_url(version: ProcedureVersion, side: str = "") -> str:
    return f"/procedures/versions/{version.pk}/preview/" + (f"?side={side}" if side else "")


@pytest.fixture
def draft(administrator) -> ProcedureVersion:
    """The minimally invasive procedure's draft: the team introductions removed, a step added."""
    procedure = mi_procedure()
    titles = list(
        procedure.published_version().steps.order_by("position").values_list("title", flat=True)
    )
    return edit_draft(
        procedure,
        by=administrator,
        order=[title for title in titles if title != TEAM],
        add={"title": ADDED, "after": INCISION, "role": StepRole.NURSE, "phase": Phase.PROCEDURE},
    )


def step_titles(page: str) -> list[str]:
    """Each row's title, as the step title heading reads it (its state and tags dropped)."""
    headings = re.findall(r'<h3 class="step-title">(.*?)</h3>', page, re.DOTALL)
    untagged = [re.sub(r'<span class="step-tag[^"]*">[^<]*</span>', "", h) for h in headings]
    return [re.sub(r"^(?:○ )?(?:To do|Locked) ", "", text(heading)) for heading in untagged]


def test_it_shows_the_drafts_steps_not_the_published_ones(administrator_client, draft):
    page = content(administrator_client.get(preview_url(draft)))

    titles = step_titles(page)
    assert ADDED in titles
    assert TEAM not in titles
    assert titles.index(ADDED) == titles.index(INCISION) + 1
    assert len(titles) == draft.steps.count()  # left side: each step once


def test_the_published_version_shows_its_own_steps(administrator_client, draft):
    published = draft.procedure.published_version()

    titles = step_titles(content(administrator_client.get(preview_url(published))))

    assert TEAM in titles
    assert ADDED not in titles


def test_a_bilateral_preview_shows_each_per_side_step_twice(administrator_client, draft):
    page = content(administrator_client.get(preview_url(draft, side="bilateral")))

    titles = step_titles(page)
    for step in draft.steps.all():
        assert titles.count(step.title) == (2 if step.per_side else 1), step.title
    assert draft.steps.filter(per_side=True).count() >= 5
    assert page.count("Left side</span>") == page.count("Right side</span>") > 0
    assert re.search(r'aria-current="page"[^>]*>Bilateral</a>', page)


def test_an_unknown_side_shows_the_left(administrator_client, draft):
    page = content(administrator_client.get(preview_url(draft, side="both")))

    assert re.search(r'aria-current="page"[^>]*>Left</a>', page)
    assert "Right side</span>" not in page


def test_it_shows_locks_and_the_controls_of_each_kind_all_disabled(administrator_client, draft):
    page = content(administrator_client.get(preview_url(draft)))

    # One fieldset, disabled, holds every control of the checklist; the page does not poll.
    # The side is chosen with links: the page has no form outside the fieldset but logging out.
    bar, checklist = page.split('<fieldset class="preview-checklist" disabled>')
    assert "<form" not in bar.split('<section class="preview-bar')[1]
    assert "data-hx-trigger" not in page
    names = buttons(checklist)
    assert f"Mark done: {IDENTITY}" in names  # a check
    assert any(name.startswith("Yes: ") for name in names)  # a yes/no
    assert any(name.startswith("Save: ") for name in names)  # a number or a text
    assert "Add implant: Left side" in names  # the implant log of the side's implant step
    # The identity check is a hard stop: every later step waits for it, as on a new case.
    assert text(checklist).count(f"Waiting for: {IDENTITY}") == draft.steps.count() - 1
    assert "Emergency access" not in page
    assert "Sign the case" not in page


def test_it_writes_nothing(administrator_client, draft, django_assert_max_num_queries):
    tables = (Case, CaseStep, AuditEvent, RecordAccess, Step, ProcedureVersion)
    before = [model.objects.count() for model in tables]

    # The session, its user and the user's permissions (3), the version (1) and its steps (1),
    # the user's groups for the page's menu (1); the session's idle clock saved (3, with its
    # savepoint); whether the version asks for a side (1: a version that asks for none is shown
    # without one first). The same for any number of steps: nothing per step or per side.
    with django_assert_max_num_queries(10) as queries:
        response = administrator_client.get(preview_url(draft, side="bilateral"))

    assert response.status_code == 200
    assert [model.objects.count() for model in tables] == before
    written = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")
        and not q["sql"].startswith('UPDATE "django_session"')
    ]
    assert written == []


def test_the_drafts_page_links_to_its_preview(administrator_client, draft):
    page = content(
        administrator_client.get(f"/admin/procedures/procedureversion/{draft.pk}/change/")
    )

    assert f'href="{preview_url(draft)}">Preview as the tablet shows it</a>' in page


@pytest.mark.parametrize("role", [roles.OR_STAFF, roles.SURGEON, roles.REVIEWER])
def test_it_is_refused_to_those_who_do_not_edit_templates(client, draft, role):
    client.force_login(make_user("someone", role))

    assert client.get(preview_url(draft)).status_code == 403


def test_it_sends_anyone_signed_out_to_sign_in(client, draft):
    response = client.get(preview_url(draft))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_answers_404_for_a_version_that_does_not_exist(administrator_client):
    assert administrator_client.get("/procedures/versions/999999/preview/").status_code == 404


def test_it_takes_no_post(administrator_client, draft):
    assert administrator_client.post(preview_url(draft)).status_code == 405


def test_it_shows_a_step_waiting_for_the_whole_time_out_and_for_a_hard_stop(administrator_client):
    procedure = make_procedure(
        {"phase": Phase.SIGN_IN, "title": "Site marked"},
        {"phase": Phase.TIME_OUT, "title": "Team introduced", "gates_later_phases": True},
        {"phase": Phase.PROCEDURE, "title": "Incision made"},
        {"phase": Phase.PROCEDURE, "title": "Count taken", "hard_stop": True},
        {"phase": Phase.SIGN_OUT, "title": "Specimen labelled"},
        title="Knee check",
        slug="knee-check",
    )
    version = procedure.published_version()

    page = text(content(administrator_client.get(preview_url(version))))

    assert "Waiting for the whole Time Out: Team introduced" in page
    assert "Waiting for: Count taken" not in page  # the Time Out holds it back first
    assert page.count("Locked") == 3  # the steps after the Time Out
