"""Procedure templates through the Django admin, as an administrator edits them: a procedure's
versions, its draft edited as one ordered table, published with a change note."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from procedures.choices import Approach, Milestone, Phase, StepKind, StepRole, VersionStatus
from procedures.models import Procedure, ProcedureVersion, Step
from procedures.versions import start_draft

CHANGELIST = "/admin/procedures/procedure/"


def procedure_url(procedure: Procedure) -> str:
    return f"{CHANGELIST}{procedure.pk}/change/"


def version_url(version: ProcedureVersion) -> str:
    return f"/admin/procedures/procedureversion/{version.pk}/change/"


def draft_of(procedure: Procedure) -> ProcedureVersion:
    """The procedure's draft, started as "Edit the steps" starts it."""
    administrator = User.objects.filter(groups__name="Administrator").first()
    assert administrator is not None
    return start_draft(procedure=procedure, by=administrator)


def change_url(procedure: Procedure) -> str:
    """The page where the procedure's steps are edited: its draft's."""
    return version_url(draft_of(procedure))


def draft_steps(procedure: Procedure):
    return Step.objects.filter(version__procedure=procedure, version__status=VersionStatus.DRAFT)


def make_procedure(title: str, steps: list[tuple[str, str]], **fields: Any) -> Procedure:
    """A procedure whose version 1, published, has these steps, given as (phase, title): plain
    checks at positions 1..N."""
    from django.utils import timezone

    procedure = Procedure.objects.create(
        title=title, slug=title.lower().replace(" ", "-"), approach=Approach.OPEN, **fields
    )
    version = ProcedureVersion.objects.create(
        procedure=procedure, number=1, status=VersionStatus.PUBLISHED, published_at=timezone.now()
    )
    for position, (phase, step_title) in enumerate(steps, start=1):
        Step.objects.create(
            version=version,
            position=position,
            phase=phase,
            title=step_title,
            role=StepRole.NURSE,
            kind=StepKind.CHECK,
        )
    return procedure


@pytest.fixture
def knee_check(db) -> Procedure:
    return make_procedure(
        "Knee check",
        [
            (Phase.SIGN_IN, "Identity confirmed"),
            (Phase.TIME_OUT, "Side confirmed aloud"),
            (Phase.PROCEDURE, "Incision made"),
            (Phase.PROCEDURE, "Wound closed"),
            (Phase.SIGN_OUT, "Counts correct"),
        ],
    )


def form_data(response) -> dict[str, Any]:
    """What the browser would send back for the change form as it was rendered."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    data = {}
    for form in forms:
        for name in form.fields:
            field = form[name]
            value = "" if field.value() is None else field.value()
            data[form.add_prefix(name)] = value
            if form.fields[name].show_hidden_initial:
                data[form.add_initial_prefix(name)] = value
    return data


def step_row(data: dict[str, Any], title: str) -> str:
    """The form prefix ("steps-2") of the step with this title in the posted data."""
    for key, value in data.items():
        if key.endswith("-title") and value == title:
            return key.removesuffix("-title")
    raise AssertionError(f"No step titled {title!r} in the form")


def dragged(data: dict[str, Any], *titles: str) -> dict[str, Any]:
    """The rows numbered in this order, as the editor numbers them when a row is dropped."""
    return data | {
        f"{step_row(data, title)}-position": position
        for position, title in enumerate(titles, start=1)
    }


def titles_in_order(procedure: Procedure) -> list[str]:
    return list(draft_steps(procedure).order_by("position").values_list("title", flat=True))


def errors_of(response) -> str:
    """Every error message the change form shows, form-wide and per row, as one text."""
    messages = [str(error) for error in response.context["errors"]]
    for inline in response.context["inline_admin_formsets"]:
        messages += [str(error) for error in inline.formset.non_form_errors()]
    return " ".join(messages)


# Who gets in


@pytest.mark.parametrize("persona", ["reviewer", "nurse"])
@pytest.mark.parametrize("url", ["/admin/", CHANGELIST])
def test_it_refuses_the_admin_to_other_roles(db, client, request, persona, url):
    client.force_login(request.getfixturevalue(persona))
    # The admin sends them to its login page, which refuses a signed-in user without the role.
    response = client.get(url, follow=True)
    assert response.status_code == 403
    assert "Your role does not allow this." in response.text
    assert "SI joint fusion" not in response.text


def test_it_lets_an_administrator_in(administrator_client):
    assert administrator_client.get("/admin/").status_code == 200
    assert administrator_client.get(CHANGELIST).status_code == 200


# The list of procedures


def test_it_lists_procedures_with_their_approach_and_step_count(administrator_client, knee_check):
    response = administrator_client.get(CHANGELIST)
    counts = {
        procedure.title: procedure.step_count for procedure in response.context["cl"].result_list
    }
    assert counts == {
        "Knee check": 5,
        "SI joint fusion — minimally invasive (lateral transiliac)": 32,
        "SI joint fusion — open": 31,
        "WHO Surgical Safety Checklist — any procedure": 19,
    }
    assert "Minimally invasive" in response.text


def test_it_counts_steps_without_a_query_per_procedure(administrator_client, knee_check):
    administrator_client.get(CHANGELIST)  # the session's first request also saves the session
    with CaptureQueriesContext(connection) as few:
        administrator_client.get(CHANGELIST)
    for number in range(5):
        make_procedure(f"Extra {number}", [(Phase.SIGN_IN, "Identity confirmed")])
    with CaptureQueriesContext(connection) as many:
        administrator_client.get(CHANGELIST)
    assert len(many) == len(few)


def test_it_searches_procedures_by_title(administrator_client, knee_check):
    response = administrator_client.get(CHANGELIST, {"q": "knee"})
    assert [p.title for p in response.context["cl"].result_list] == ["Knee check"]


def test_it_searches_procedures_by_slug(administrator_client):
    response = administrator_client.get(CHANGELIST, {"q": "si-fusion-open"})
    assert [p.title for p in response.context["cl"].result_list] == ["SI joint fusion — open"]


def test_it_filters_procedures_by_approach(administrator_client, knee_check):
    response = administrator_client.get(
        CHANGELIST, {"approach__exact": Approach.MINIMALLY_INVASIVE}
    )
    assert [p.title for p in response.context["cl"].result_list] == [
        "SI joint fusion — minimally invasive (lateral transiliac)"
    ]


def test_it_filters_procedures_by_active(administrator_client):
    make_procedure("Retired check", [], active=False)
    response = administrator_client.get(CHANGELIST, {"active__exact": "0"})
    assert [p.title for p in response.context["cl"].result_list] == ["Retired check"]


# The procedure's page: its versions, and the way into its draft


def test_it_shows_a_procedures_versions_with_who_published_them(administrator_client, knee_check):
    response = administrator_client.get(procedure_url(knee_check))
    assert response.status_code == 200
    [history] = response.context["inline_admin_formsets"]
    assert [form.instance.number for form in history.formset.forms] == [1]
    assert "Edit the steps" in response.text
    assert "Compare versions" in response.text


def test_the_procedure_page_reads_its_versions_in_few_queries(
    administrator_client, knee_check, django_assert_max_num_queries
):
    for _ in range(3):  # three more versions, each published
        draft = draft_of(knee_check)
        publish_draft(administrator_client, draft, note="Reworded.")
    with django_assert_max_num_queries(12):
        response = administrator_client.get(procedure_url(knee_check))
    assert response.status_code == 200
    assert "Reworded." in response.text


def test_edit_the_steps_starts_a_draft_copied_from_the_published_version(
    administrator_client, knee_check
):
    published = knee_check.published_version()
    response = administrator_client.post(f"{CHANGELIST}{knee_check.pk}/draft/")
    draft = ProcedureVersion.objects.get(procedure=knee_check, status=VersionStatus.DRAFT)
    assert response.status_code == 302
    assert response["Location"] == version_url(draft)
    assert draft.number == 2
    copied = ["key", "position", "phase", "title", "role", "kind"]
    assert list(draft.steps.values_list(*copied)) == list(published.steps.values_list(*copied))
    # Asked again, the same draft opens.
    again = administrator_client.post(f"{CHANGELIST}{knee_check.pk}/draft/")
    assert again["Location"] == version_url(draft)
    assert ProcedureVersion.objects.filter(procedure=knee_check).count() == 2


def test_a_draft_is_started_by_post_only(administrator_client, knee_check):
    assert administrator_client.get(f"{CHANGELIST}{knee_check.pk}/draft/").status_code == 405
    assert not draft_steps(knee_check).exists()


def test_adding_a_procedure_opens_its_first_draft(administrator_client):
    data = form_data(administrator_client.get(f"{CHANGELIST}add/"))
    data |= {"title": "Hip check", "slug": "hip-check", "approach": Approach.OPEN}
    response = administrator_client.post(f"{CHANGELIST}add/", data)
    procedure = Procedure.objects.get(slug="hip-check")
    draft = procedure.versions.get()
    assert (draft.number, draft.status) == (1, VersionStatus.DRAFT)
    assert response["Location"] == version_url(draft)
    data = with_new_step(
        form_data(administrator_client.get(version_url(draft))),
        phase=Phase.SIGN_IN,
        title="Identity confirmed",
        role=StepRole.NURSE,
    )
    assert administrator_client.post(version_url(draft), data).status_code == 302
    assert titles_in_order(procedure) == ["Identity confirmed"]


# The draft's editor


def with_new_step(data: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """The form with one more row, as "Add another step" adds it, filled with ``fields``."""
    index = int(data["steps-TOTAL_FORMS"])
    defaults = {"kind": StepKind.CHECK, "required": "on", "position": ""}
    row = {f"steps-{index}-{name}": value for name, value in (defaults | fields).items()}
    return data | row | {"steps-TOTAL_FORMS": index + 1}


def test_the_editor_shows_the_steps_in_order_with_their_help(administrator_client):
    procedure = Procedure.objects.get(slug="si-fusion-minimally-invasive")
    response = administrator_client.get(change_url(procedure))
    assert response.status_code == 200
    shown = [form.instance.title for form in response.context["inline_admin_formsets"][0].formset]
    assert shown == titles_in_order(procedure)
    assert "Who normally confirms it." in response.text
    assert "Yes\nNo\nNot applicable</textarea>" in response.text  # options, one per line
    assert "Save and publish" in response.text
    assert "No change yet from version 2, the published one." in response.text  # sides seen


def test_the_editor_counts_the_changes_publishing_would_make(administrator_client, knee_check):
    url = change_url(knee_check)
    data = form_data(administrator_client.get(url))
    data[f"{step_row(data, 'Incision made')}-DELETE"] = "on"
    data[f"{step_row(data, 'Counts correct')}-required"] = ""
    assert administrator_client.post(url, data).status_code == 302

    response = administrator_client.get(url)

    assert (
        "From version 1, the published one, as saved: 0 added, 1 removed, 0 moved, 1 changed"
        in " ".join(response.text.split())
    )


def test_the_editor_reads_a_long_procedure_in_few_queries(
    administrator_client, django_assert_max_num_queries
):
    procedure = Procedure.objects.get(slug="si-fusion-minimally-invasive")
    url = change_url(procedure)
    administrator_client.get(url)
    with django_assert_max_num_queries(12):
        assert administrator_client.get(url).status_code == 200


def test_saving_the_editor_takes_the_same_queries_however_many_steps_moved(
    administrator_client, knee_check
):
    # Django's inline checks each row (its id and database constraints) and saves the rows
    # that changed; the order itself costs a fixed few queries (park all, renumber the rest).
    url = change_url(knee_check)
    data = form_data(administrator_client.get(url))
    titles = ["Identity confirmed", "Side confirmed aloud", "Incision made", "Wound closed"]
    counts = []
    for moved in (titles, [*titles[:2], titles[3], titles[2]]):
        with CaptureQueriesContext(connection) as queries:
            response = administrator_client.post(url, dragged(data, *moved, "Counts correct"))
        assert response.status_code == 302
        counts.append(len(queries))
    assert counts[1] - counts[0] <= 2  # two rows moved: one UPDATE each, no more


def test_it_adds_a_step_at_the_end_of_its_phase(administrator_client, knee_check):
    data = with_new_step(
        form_data(administrator_client.get(change_url(knee_check))),
        phase=Phase.PROCEDURE,
        title="Drain placed",
        role=StepRole.SURGEON,
        kind=StepKind.CHOICE,
        options="Yes\nNo\r\n\nNot applicable\n",  # one per line, blank lines dropped
        required="",
    )
    response = administrator_client.post(change_url(knee_check), data)
    assert response.status_code == 302, errors_of(response)
    assert titles_in_order(knee_check) == [
        "Identity confirmed",
        "Side confirmed aloud",
        "Incision made",
        "Wound closed",
        "Drain placed",
        "Counts correct",
    ]
    step = draft_steps(knee_check).get(title="Drain placed")
    assert (step.position, step.kind, step.options, step.required) == (
        5,
        StepKind.CHOICE,
        ["Yes", "No", "Not applicable"],
        False,
    )
    assert list(
        draft_steps(knee_check).order_by("position").values_list("position", flat=True)
    ) == [
        1,
        2,
        3,
        4,
        5,
        6,
    ]


def test_a_new_step_dragged_between_two_takes_the_phase_of_the_step_above(
    administrator_client, knee_check
):
    data = with_new_step(
        form_data(administrator_client.get(change_url(knee_check))),
        phase="",  # "as the step above"
        title="Drain placed",
        role=StepRole.SURGEON,
    )
    data["steps-5-position"] = 99  # the editor numbers every row as it is dropped:
    data = dragged(
        data,
        "Identity confirmed",
        "Side confirmed aloud",
        "Incision made",
        "Drain placed",
        "Wound closed",
        "Counts correct",
    )
    response = administrator_client.post(change_url(knee_check), data)
    assert response.status_code == 302, errors_of(response)
    assert titles_in_order(knee_check)[2:5] == ["Incision made", "Drain placed", "Wound closed"]
    assert draft_steps(knee_check).get(title="Drain placed").phase == Phase.PROCEDURE


def test_a_lone_new_step_needs_its_phase(administrator_client):
    procedure = make_procedure("Empty check", [])
    data = with_new_step(
        form_data(administrator_client.get(change_url(procedure))),
        phase="",
        title="Identity confirmed",
        role=StepRole.NURSE,
    )
    response = administrator_client.post(change_url(procedure), data)
    assert response.status_code == 200
    assert "Choose the phase of this step." in response.text


def test_it_edits_a_step(administrator_client, knee_check):
    data = form_data(administrator_client.get(change_url(knee_check)))
    row = step_row(data, "Incision made")
    data |= {
        f"{row}-kind": StepKind.NUMBER,
        f"{row}-unit": "cm",
        f"{row}-min_value": "3",
        f"{row}-max_value": "5",
        f"{row}-hard_stop": True,
    }
    response = administrator_client.post(change_url(knee_check), data)
    assert response.status_code == 302
    step = draft_steps(knee_check).get(title="Incision made")
    assert step.kind_summary() == "Number, 3–5 cm"
    assert step.hard_stop
    # The published version is as it was.
    published = knee_check.published_version().steps.get(title="Incision made")
    assert (published.kind, published.hard_stop) == (StepKind.CHECK, False)


def test_it_marks_the_step_that_records_the_incision(administrator_client, knee_check):
    response = administrator_client.get(change_url(knee_check))
    assert "Mark the step that records the skin incision" in response.text
    data = form_data(response)
    data[f"{step_row(data, 'Incision made')}-milestone"] = Milestone.INCISION

    response = administrator_client.post(change_url(knee_check), data)

    assert response.status_code == 302
    marked = draft_steps(knee_check).filter(milestone=Milestone.INCISION)
    assert [step.title for step in marked] == ["Incision made"]


def test_it_swaps_two_steps_dragged_past_each_other(administrator_client, knee_check):
    data = form_data(administrator_client.get(change_url(knee_check)))
    data = dragged(
        data,
        "Identity confirmed",
        "Side confirmed aloud",
        "Wound closed",
        "Incision made",
        "Counts correct",
    )
    response = administrator_client.post(change_url(knee_check), data)
    assert response.status_code == 302
    assert titles_in_order(knee_check)[2:4] == ["Wound closed", "Incision made"]
    positions = draft_steps(knee_check).order_by("position").values_list("position", flat=True)
    assert list(positions) == [1, 2, 3, 4, 5]


def test_two_rows_sent_at_one_position_keep_their_order_on_the_page(
    administrator_client, knee_check
):
    # Never "Position 3 is given to more than one step": positions are the editor's business.
    data = form_data(administrator_client.get(change_url(knee_check)))
    data[f"{step_row(data, 'Wound closed')}-position"] = 3
    response = administrator_client.post(change_url(knee_check), data)
    assert response.status_code == 302, errors_of(response)
    assert titles_in_order(knee_check)[2:4] == ["Incision made", "Wound closed"]


def test_it_deletes_a_step_and_closes_the_gap(administrator_client, knee_check):
    data = form_data(administrator_client.get(change_url(knee_check)))
    data[f"{step_row(data, 'Incision made')}-DELETE"] = "on"
    response = administrator_client.post(change_url(knee_check), data)
    assert response.status_code == 302
    assert titles_in_order(knee_check) == [
        "Identity confirmed",
        "Side confirmed aloud",
        "Wound closed",
        "Counts correct",
    ]
    assert draft_steps(knee_check).get(title="Counts correct").position == 4


def test_it_refuses_phases_out_of_order(administrator_client, knee_check):
    data = form_data(administrator_client.get(change_url(knee_check)))
    data = dragged(
        data,
        "Identity confirmed",
        "Counts correct",
        "Side confirmed aloud",
        "Incision made",
        "Wound closed",
    )
    response = administrator_client.post(change_url(knee_check), data)
    assert response.status_code == 200
    message = (
        "Phases must run in order "
        "(Sign In, Induction and positioning, Time Out, Procedure, Sign Out): "
        "“Side confirmed aloud” (Time Out) comes after “Counts correct” (Sign Out). "
        "Drag it back among the steps of its phase, or change its phase."
    )
    assert message in errors_of(response)
    assert "Phases must run in order" in response.text
    assert draft_steps(knee_check).get(title="Counts correct").position == 5


def test_a_phase_is_marked_as_gating_the_later_ones_on_all_of_its_steps(administrator_client):
    hip = make_procedure(
        "Hip check",
        [
            (Phase.SIGN_IN, "Identity confirmed"),
            (Phase.TIME_OUT, "Team introduced"),
            (Phase.TIME_OUT, "Side confirmed aloud"),
            (Phase.PROCEDURE, "Incision made"),
        ],
    )
    data = form_data(administrator_client.get(change_url(hip)))
    data[f"{step_row(data, 'Side confirmed aloud')}-gates_later_phases"] = "on"

    response = administrator_client.post(change_url(hip), data)

    assert response.status_code == 200
    assert (
        "“Gates later phases” is ticked on some steps of the Time Out and not on others"
        in errors_of(response)
    )
    assert not draft_steps(hip).filter(gates_later_phases=True).exists()
    data[f"{step_row(data, 'Team introduced')}-gates_later_phases"] = "on"
    response = administrator_client.post(change_url(hip), data)
    assert response.status_code == 302
    gating = draft_steps(hip).filter(gates_later_phases=True)
    assert sorted(gating.values_list("title", flat=True)) == [
        "Side confirmed aloud",
        "Team introduced",
    ]


def test_the_sign_out_cannot_gate_a_later_phase(administrator_client, knee_check):
    data = form_data(administrator_client.get(change_url(knee_check)))
    data[f"{step_row(data, 'Counts correct')}-gates_later_phases"] = "on"

    response = administrator_client.post(change_url(knee_check), data)

    assert response.status_code == 200
    assert "No phase comes after the Sign Out." in response.text
    assert 'class="step-details" open' in response.text  # the field's details fold is open
    assert not draft_steps(knee_check).filter(gates_later_phases=True).exists()


def test_it_refuses_a_step_whose_minimum_is_above_its_maximum(administrator_client, knee_check):
    data = form_data(administrator_client.get(change_url(knee_check)))
    row = step_row(data, "Incision made")
    data |= {
        f"{row}-kind": StepKind.NUMBER,
        f"{row}-min_value": "6",
        f"{row}-max_value": "5",
    }
    response = administrator_client.post(change_url(knee_check), data)
    assert response.status_code == 200
    assert "The minimum cannot be greater than the maximum." in response.text
    step = draft_steps(knee_check).get(title="Incision made")
    assert (step.kind, step.min_value, step.max_value) == (StepKind.CHECK, None, None)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": StepKind.CHOICE, "options": ""}, "A choice step needs at least one option."),
        ({"kind": StepKind.CHOICE, "options": "Yes\nNo\nYes"}, "Each option must appear once."),
        ({"kind": StepKind.CHECK, "options": "Yes\nNo"}, "Only choice steps have options."),
        ({"kind": StepKind.NUMBER, "min_value": "three"}, "Enter a number."),
        ({"kind": StepKind.YES_NO, "expected_answer": "maybe"}, "Must be one of the step"),
        ({"title": ""}, "This field is required."),
        ({"role": "porter"}, "Select a valid choice."),
        ({"phase": "recovery"}, "Select a valid choice."),
        ({"hard_stop": "on", "required": ""}, "A hard stop must be required"),
        ({"title": "x" * 201}, "Ensure this value has at most 200 characters"),
    ],
    ids=[
        "no-options",
        "repeated",
        "options-on-check",
        "bad-number",
        "bad-expected",
        "no-title",
        "bad-role",
        "bad-phase",
        "hard-stop-optional",
        "long-title",
    ],
)
def test_a_mistake_in_a_new_step_is_a_form_error(administrator_client, knee_check, fields, message):
    step = {"phase": Phase.SIGN_OUT, "title": "Specimens labelled", "role": StepRole.NURSE}
    data = with_new_step(
        form_data(administrator_client.get(change_url(knee_check))), **(step | fields)
    )
    response = administrator_client.post(change_url(knee_check), data)
    assert response.status_code == 200
    assert message in response.text
    assert draft_steps(knee_check).count() == 5


def test_a_mangled_form_is_refused_without_a_500(administrator_client, knee_check):
    data = form_data(administrator_client.get(change_url(knee_check)))
    data[f"{step_row(data, 'Incision made')}-position"] = "first"
    data[f"{step_row(data, 'Wound closed')}-id"] = "999999"
    response = administrator_client.post(change_url(knee_check), data)
    assert response.status_code == 200
    assert titles_in_order(knee_check)[2:4] == ["Incision made", "Wound closed"]


def test_it_takes_an_emptied_options_box_as_no_options(administrator_client, knee_check):
    data = form_data(administrator_client.get(change_url(knee_check)))
    data[f"{step_row(data, 'Incision made')}-options"] = ""
    response = administrator_client.post(change_url(knee_check), data)
    assert response.status_code == 302
    assert draft_steps(knee_check).get(title="Incision made").options == []


def test_nothing_of_a_refused_save_is_kept(administrator_client, knee_check):
    data = form_data(administrator_client.get(change_url(knee_check)))
    data["change_note"] = "Swapped."
    data = dragged(
        data,
        "Identity confirmed",
        "Side confirmed aloud",
        "Wound closed",
        "Incision made",
        "Counts correct",
    )
    data[f"{step_row(data, 'Counts correct')}-kind"] = StepKind.CHOICE
    response = administrator_client.post(change_url(knee_check), data)
    assert response.status_code == 200
    assert draft_of(knee_check).change_note == ""
    assert titles_in_order(knee_check)[2:4] == ["Incision made", "Wound closed"]


# Published versions do not change


def test_a_published_version_is_shown_read_only(administrator_client, knee_check):
    published = knee_check.published_version()
    response = administrator_client.get(version_url(published))
    assert response.status_code == 200
    assert "does not change" in response.text
    assert "Save and publish" not in response.text
    assert 'name="steps-0-title"' not in response.text
    data = {"change_note": "Sneaky", "steps-TOTAL_FORMS": "0", "steps-INITIAL_FORMS": "0"}
    assert administrator_client.post(version_url(published), data).status_code == 403
    published.refresh_from_db()
    assert published.change_note == ""


# Publishing


def publish_draft(client, draft: ProcedureVersion, *, note: str, **changes: Any):
    data = form_data(client.get(version_url(draft))) | {"change_note": note, "_publish": "1"}
    return client.post(version_url(draft), data | changes)


def test_publishing_a_draft_retires_the_version_before_and_is_logged(
    administrator_client, administrator, knee_check
):
    from django.contrib.admin.models import LogEntry

    first = knee_check.published_version()
    draft = draft_of(knee_check)
    response = publish_draft(administrator_client, draft, note="Agreed at the review meeting.")
    assert response.status_code == 302
    assert response["Location"] == procedure_url(knee_check)
    draft.refresh_from_db()
    first.refresh_from_db()
    assert (draft.status, draft.published_by, draft.change_note) == (
        VersionStatus.PUBLISHED,
        administrator,
        "Agreed at the review meeting.",
    )
    assert draft.published_at is not None
    assert first.status == VersionStatus.RETIRED
    entry = LogEntry.objects.filter(object_id=str(knee_check.pk)).latest("action_time")
    assert (entry.user, entry.get_change_message()) == (
        administrator,
        "Published version 2: Agreed at the review meeting.",
    )
    assert entry.content_type.model == "procedure"
    history = administrator_client.get(f"{CHANGELIST}{knee_check.pk}/history/")
    assert "Published version 2: Agreed at the review meeting." in history.text


def test_publishing_needs_a_change_note(administrator_client, knee_check):
    draft = draft_of(knee_check)
    response = publish_draft(administrator_client, draft, note="  ")
    assert response.status_code == 200
    assert "Write a change note to publish" in response.text
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT


def test_only_a_role_that_may_publish_publishes(administrator_client, administrator, knee_check):
    from django.contrib.auth.models import Permission

    administrator.groups.get().permissions.remove(
        Permission.objects.get(codename="publish_procedureversion")
    )
    draft = draft_of(knee_check)
    response = administrator_client.get(version_url(draft))
    assert "Save and publish" not in response.text
    assert publish_draft(administrator_client, draft, note="Mine.").status_code == 403
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT


def test_a_draft_without_steps_is_not_published(administrator_client):
    procedure = make_procedure("Empty check", [])
    draft = draft_of(procedure)
    response = publish_draft(administrator_client, draft, note="First version.")
    assert response.status_code == 302
    page = administrator_client.get(response["Location"])
    assert "Saved, not published: A version without steps cannot be published." in page.text
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
