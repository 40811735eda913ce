"""What an administrator types into a procedure template is refused with a form error when no
page could store or show it, on SQLite and PostgreSQL alike, never saved and never a 500.

Found by a tester: options with a lone surrogate (``"Yes\\ud800"``) saved on SQLite, after
which every new case of that procedure and its admin page answered 500; on PostgreSQL that and
a NUL failed at save with a 500; ``[1e999]`` and deep nesting gave 500s on both. Options are
now typed one per line, and one validator (``accounts.text.validate_plain_text``) checks every
text; the model checks the options again before any save.
"""

import pytest
from django.core.exceptions import ValidationError

from procedures.choices import Phase, StepKind, StepRole
from procedures.models import Step
from tests.procedures.test_admin import (
    change_url,
    draft_of,
    draft_steps,
    errors_of,
    form_data,
    knee_check,
    step_row,
)

__all__ = ["knee_check"]  # the fixture, used by name below


def post_step_change(client, procedure, **fields):
    data = form_data(client.get(change_url(procedure)))
    row = step_row(data, "Incision made")
    data |= {f"{row}-{name}": value for name, value in fields.items()}
    return client.post(change_url(procedure), data)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("options", "Yes\nN\x00o"),
        ("options", "Yes\nNo\x07"),
        ("options", "Left\u202eRight"),
        ("title", "Incision\x00 made"),
        ("title", "Incision \x1b[31mmade"),
        ("guidance", "Mark the \u2066site\u2069 first"),
    ],
    ids=["nul-option", "bell-option", "rtl-override-option", "nul-title", "escape-title", "bidi"],
)
def test_a_character_no_page_can_show_is_a_form_error(
    administrator_client, knee_check, field, value
):
    draft_of(knee_check)
    before = list(draft_steps(knee_check).values())
    kind = {"kind": StepKind.CHOICE} if field == "options" else {}
    if field != "options":
        kind = {}
    response = post_step_change(administrator_client, knee_check, **kind, **{field: value})

    assert response.status_code == 200
    shown = errors_of(response) + response.text
    assert (
        "cannot be stored or shown safely" in shown or "Null characters are not allowed" in shown
    ), errors_of(response)
    assert list(draft_steps(knee_check).values()) == before


def test_options_are_typed_one_per_line(administrator_client, knee_check):
    response = post_step_change(
        administrator_client, knee_check, kind=StepKind.CHOICE, options="Lateral\n  Posterior  \n"
    )
    assert response.status_code == 302, errors_of(response)
    assert draft_steps(knee_check).get(title="Incision made").options == ["Lateral", "Posterior"]
    page = administrator_client.get(change_url(knee_check)).text
    assert "Lateral\nPosterior</textarea>" in page


def test_what_looked_like_json_is_just_an_answer(administrator_client, knee_check):
    # Once a 500 (float overflow, recursion); now an option like any other, shown as typed.
    response = post_step_change(
        administrator_client, knee_check, kind=StepKind.CHOICE, options="[1e999]\n[[[[[]]]]]"
    )
    assert response.status_code == 302, errors_of(response)
    step = draft_steps(knee_check).get(title="Incision made")
    assert step.options == ["[1e999]", "[[[[[]]]]]"]
    assert step.kind_summary() == "Choice: [1e999] / [[[[[]]]]]"


def test_repeated_options_are_a_form_error(administrator_client, knee_check):
    response = post_step_change(
        administrator_client, knee_check, kind=StepKind.CHOICE, options="Yes\nNo\nYes"
    )
    assert response.status_code == 200
    assert "Each option must appear once." in response.text


@pytest.mark.parametrize(
    "options",
    [["Yes\ud800"], ["Ye\x00s"], [1e999], [[["deep"]]], "Yes", ["ok", " padded "], ["x" * 101]],
    ids=["surrogate", "nul", "float", "nested", "not-a-list", "padded", "too-long"],
)
def test_the_model_refuses_to_save_options_a_page_cannot_show(administrator, knee_check, options):
    step = Step(
        version=draft_of(knee_check),
        position=99,
        phase=Phase.SIGN_OUT,
        title="Specimens labelled",
        role=StepRole.NURSE,
        kind=StepKind.CHOICE,
        options=options,
    )
    with pytest.raises(ValidationError):
        step.save()
    assert not draft_steps(knee_check).filter(position=99).exists()
