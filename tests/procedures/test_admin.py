"""Procedure templates through the Django admin, as an administrator edits them."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from procedures.choices import Approach, Milestone, Phase, StepKind, StepRole
from procedures.models import Procedure, Step

CHANGELIST = "/admin/procedures/procedure/"


def change_url(procedure: Procedure) -> str:
    return f"{CHANGELIST}{procedure.pk}/change/"


def make_procedure(title: str, steps: list[tuple[str, str]], **fields: Any) -> Procedure:
    """A procedure whose steps, given as (phase, title), are plain checks at positions 1..N."""
    procedure = Procedure.objects.create(
        title=title, slug=title.lower().replace(" ", "-"), approach=Approach.OPEN, **fields
    )
    for position, (phase, step_title) in enumerate(steps, start=1):
        Step.objects.create(
            procedure=procedure,
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


def titles_in_order(procedure: Procedure) -> list[str]:
    return list(procedure.steps.order_by("position").values_list("title", flat=True))


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


# Editing a procedure and its steps


def test_it_shows_the_steps_in_order_with_their_kind_summary(administrator_client):
    procedure = Procedure.objects.get(slug="si-fusion-minimally-invasive")
    response = administrator_client.get(change_url(procedure))
    assert response.status_code == 200
    shown = [form.instance.title for form in response.context["inline_admin_formsets"][0].formset]
    assert shown[:32] == titles_in_order(procedure)
    assert "Number, 3–5 cm" in response.text
    assert "Choice: Yes / No / Not applicable" in response.text


def test_it_adds_a_procedure_with_its_first_step(administrator_client):
    data = form_data(administrator_client.get(f"{CHANGELIST}add/"))
    data |= {
        "title": "Hip check",
        "slug": "hip-check",
        "approach": Approach.OPEN,
        "steps-0-position": 1,
        "steps-0-phase": Phase.SIGN_IN,
        "steps-0-title": "Identity confirmed",
        "steps-0-role": StepRole.NURSE,
    }
    response = administrator_client.post(f"{CHANGELIST}add/", data)
    assert response.status_code == 302
    procedure = Procedure.objects.get(slug="hip-check")
    assert titles_in_order(procedure) == ["Identity confirmed"]


def test_it_adds_a_step(administrator_client, knee_check):
    data = form_data(administrator_client.get(change_url(knee_check)))
    data |= {
        "steps-5-position": 6,
        "steps-5-phase": Phase.SIGN_OUT,
        "steps-5-title": "Specimens labelled",
        "steps-5-role": StepRole.NURSE,
        "steps-5-kind": StepKind.CHOICE,
        "steps-5-options": "Yes\nNo\r\n\nNot applicable\n",  # one per line, blank lines dropped
        "steps-5-required": False,
    }
    response = administrator_client.post(change_url(knee_check), data)
    assert response.status_code == 302
    step = knee_check.steps.get(position=6)
    assert (step.title, step.kind, step.options, step.required) == (
        "Specimens labelled",
        StepKind.CHOICE,
        ["Yes", "No", "Not applicable"],
        False,
    )


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
    step = knee_check.steps.get(title="Incision made")
    assert step.kind_summary() == "Number, 3–5 cm"
    assert step.hard_stop


def test_it_marks_the_step_that_records_the_incision(administrator_client, knee_check):
    response = administrator_client.get(change_url(knee_check))
    assert "Mark the step that records the skin incision" in response.text
    data = form_data(response)
    data[f"{step_row(data, 'Incision made')}-milestone"] = Milestone.INCISION

    response = administrator_client.post(change_url(knee_check), data)

    assert response.status_code == 302
    marked = knee_check.steps.filter(milestone=Milestone.INCISION)
    assert [step.title for step in marked] == ["Incision made"]


def test_it_swaps_two_step_positions_in_one_save(administrator_client, knee_check):
    data = form_data(administrator_client.get(change_url(knee_check)))
    data[f"{step_row(data, 'Incision made')}-position"] = 4
    data[f"{step_row(data, 'Wound closed')}-position"] = 3
    response = administrator_client.post(change_url(knee_check), data)
    assert response.status_code == 302
    assert titles_in_order(knee_check) == [
        "Identity confirmed",
        "Side confirmed aloud",
        "Wound closed",
        "Incision made",
        "Counts correct",
    ]
    assert list(knee_check.steps.order_by("position").values_list("position", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
    ]


def test_it_shifts_steps_down_and_adds_one_in_the_freed_place(administrator_client, knee_check):
    data = form_data(administrator_client.get(change_url(knee_check)))
    data[f"{step_row(data, 'Incision made')}-position"] = 4
    data[f"{step_row(data, 'Wound closed')}-position"] = 5
    data[f"{step_row(data, 'Counts correct')}-position"] = 6
    data |= {
        "steps-5-position": 3,
        "steps-5-phase": Phase.PROCEDURE,
        "steps-5-title": "Patient positioned prone",
        "steps-5-role": StepRole.SURGEON,
    }
    response = administrator_client.post(change_url(knee_check), data)
    assert response.status_code == 302
    assert titles_in_order(knee_check) == [
        "Identity confirmed",
        "Side confirmed aloud",
        "Patient positioned prone",
        "Incision made",
        "Wound closed",
        "Counts correct",
    ]


def test_it_deletes_a_step_and_gives_its_position_to_another(administrator_client, knee_check):
    data = form_data(administrator_client.get(change_url(knee_check)))
    data[f"{step_row(data, 'Incision made')}-DELETE"] = True
    data[f"{step_row(data, 'Wound closed')}-position"] = 3
    data[f"{step_row(data, 'Counts correct')}-position"] = 4
    response = administrator_client.post(change_url(knee_check), data)
    assert response.status_code == 302
    assert titles_in_order(knee_check) == [
        "Identity confirmed",
        "Side confirmed aloud",
        "Wound closed",
        "Counts correct",
    ]
    assert knee_check.steps.get(title="Counts correct").position == 4


def test_it_refuses_two_steps_at_one_position(administrator_client, knee_check):
    data = form_data(administrator_client.get(change_url(knee_check)))
    data[f"{step_row(data, 'Wound closed')}-position"] = 3
    response = administrator_client.post(change_url(knee_check), data)
    assert response.status_code == 200
    assert (
        "Position 3 is given to more than one step (“Incision made”, “Wound closed”). "
        "Give each step its own position."
    ) in errors_of(response)
    assert "Position 3 is given to more than one step" in response.text
    assert knee_check.steps.get(title="Wound closed").position == 4


def test_it_refuses_phases_out_of_order(administrator_client, knee_check):
    data = form_data(administrator_client.get(change_url(knee_check)))
    data[f"{step_row(data, 'Counts correct')}-position"] = 2
    data[f"{step_row(data, 'Side confirmed aloud')}-position"] = 5
    response = administrator_client.post(change_url(knee_check), data)
    assert response.status_code == 200
    message = (
        "Phases must run in order by position "
        "(Sign In, Induction and positioning, Time Out, Procedure, Sign Out): "
        "“Incision made” (Procedure, position 3) comes after "
        "“Counts correct” (Sign Out, position 2)."
    )
    assert message in errors_of(response)
    assert "Phases must run in order by position" in response.text
    assert knee_check.steps.get(title="Counts correct").position == 5


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
    assert not hip.steps.filter(gates_later_phases=True).exists()
    data[f"{step_row(data, 'Team introduced')}-gates_later_phases"] = "on"
    response = administrator_client.post(change_url(hip), data)
    assert response.status_code == 302
    gating = hip.steps.filter(gates_later_phases=True)
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
    assert not knee_check.steps.filter(gates_later_phases=True).exists()


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
    step = knee_check.steps.get(title="Incision made")
    assert (step.kind, step.min_value, step.max_value) == (StepKind.CHECK, None, None)


def test_it_refuses_a_choice_step_without_options(administrator_client, knee_check):
    data = form_data(administrator_client.get(change_url(knee_check)))
    data |= {
        "steps-5-position": 6,
        "steps-5-phase": Phase.SIGN_OUT,
        "steps-5-title": "Specimens labelled",
        "steps-5-role": StepRole.NURSE,
        "steps-5-kind": StepKind.CHOICE,
        "steps-5-options": "",
    }
    response = administrator_client.post(change_url(knee_check), data)
    assert response.status_code == 200
    assert "A choice step needs at least one option." in response.text
    assert not knee_check.steps.filter(title="Specimens labelled").exists()


def test_it_takes_an_emptied_options_box_as_no_options(administrator_client, knee_check):
    data = form_data(administrator_client.get(change_url(knee_check)))
    data[f"{step_row(data, 'Incision made')}-options"] = ""
    response = administrator_client.post(change_url(knee_check), data)
    assert response.status_code == 302
    assert knee_check.steps.get(title="Incision made").options == []


def test_nothing_of_a_refused_save_is_kept(administrator_client, knee_check):
    data = form_data(administrator_client.get(change_url(knee_check)))
    data["title"] = "Knee check, renamed"
    data[f"{step_row(data, 'Incision made')}-position"] = 4
    data[f"{step_row(data, 'Wound closed')}-position"] = 3
    data[f"{step_row(data, 'Counts correct')}-kind"] = StepKind.CHOICE
    response = administrator_client.post(change_url(knee_check), data)
    assert response.status_code == 200
    knee_check.refresh_from_db()
    assert knee_check.title == "Knee check"
    assert titles_in_order(knee_check)[2:4] == ["Incision made", "Wound closed"]
