from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from procedures.choices import Approach, Milestone, Phase, StepKind, StepRole
from procedures.models import Procedure, ProcedureVersion, Step


@pytest.fixture
def procedure(db) -> Procedure:
    return Procedure.objects.create(title="Test fusion", slug="test-fusion", approach=Approach.OPEN)


def make_step(procedure: Procedure, *, position: int = 1, **fields) -> Step:
    """An unsaved step; a plain check unless told otherwise."""
    fields = {
        "phase": Phase.PROCEDURE,
        "title": f"Step {position}",
        "role": StepRole.SURGEON,
        "kind": StepKind.CHECK,
        **fields,
    }
    version, _ = ProcedureVersion.objects.get_or_create(procedure=procedure, number=1)
    return Step(version=version, position=position, **fields)


def clean_errors(step: Step) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as excinfo:
        step.clean()
    return excinfo.value.message_dict


# Step.clean()


def test_a_number_step_with_a_unit_and_bounds_is_clean(procedure):
    step = make_step(
        procedure, kind=StepKind.NUMBER, unit="cm", min_value=Decimal(3), max_value=Decimal(5)
    )
    step.clean()


def test_it_refuses_a_minimum_above_the_maximum(procedure):
    step = make_step(procedure, kind=StepKind.NUMBER, min_value=Decimal(6), max_value=Decimal(5))
    assert clean_errors(step) == {"max_value": ["The minimum cannot be greater than the maximum."]}


def test_it_accepts_equal_bounds(procedure):
    make_step(procedure, kind=StepKind.NUMBER, min_value=Decimal(4), max_value=Decimal(4)).clean()


@pytest.mark.parametrize(
    "fields", [{"unit": "cm"}, {"min_value": Decimal(1)}, {"max_value": Decimal(1)}]
)
def test_it_refuses_a_unit_or_bounds_on_a_step_that_is_not_a_number(procedure, fields):
    step = make_step(procedure, kind=StepKind.CHECK, **fields)
    assert clean_errors(step) == {"unit": ["Only number steps have a unit and bounds."]}


def test_it_refuses_a_choice_step_without_options(procedure):
    step = make_step(procedure, kind=StepKind.CHOICE, options=[])
    assert clean_errors(step) == {"options": ["A choice step needs at least one option."]}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("Yes", "Options must be a list of answers, one per line."),
        (["Yes", 2], "Options must be a list of answers, one per line."),
        ({"a": "Yes"}, "Options must be a list of answers, one per line."),
        (["Yes", ""], "Each option needs words, without spaces around them."),
    ],
)
def test_it_refuses_choice_options_that_are_not_a_list_of_answers(procedure, options, message):
    step = make_step(procedure, kind=StepKind.CHOICE, options=options)
    assert clean_errors(step) == {"options": [message]}


def test_it_refuses_an_option_given_twice(procedure):
    step = make_step(procedure, kind=StepKind.CHOICE, options=["Yes", "No", "Yes"])
    assert clean_errors(step) == {"options": ["Each option must appear once."]}


def test_it_refuses_options_on_a_step_that_is_not_a_choice(procedure):
    step = make_step(procedure, kind=StepKind.YES_NO, options=["Yes", "No"])
    assert clean_errors(step) == {"options": ["Only choice steps have options."]}


def test_a_yes_no_step_may_expect_yes_and_ask_details_for_no(procedure):
    step = make_step(
        procedure, kind=StepKind.YES_NO, expected_answer="yes", details_required_for="no"
    )
    step.clean()


def test_a_choice_step_may_expect_one_of_its_options(procedure):
    step = make_step(
        procedure,
        kind=StepKind.CHOICE,
        options=["Yes", "No", "Not applicable"],
        expected_answer="Yes",
        details_required_for="No",
    )
    step.clean()


def test_it_refuses_an_expected_answer_that_the_step_does_not_offer(procedure):
    step = make_step(procedure, kind=StepKind.YES_NO, expected_answer="maybe")
    assert clean_errors(step) == {
        "expected_answer": ["Must be one of the step's answers (yes, no)."]
    }


def test_it_refuses_details_for_an_answer_of_a_step_that_has_none(procedure):
    step = make_step(procedure, kind=StepKind.CHECK, details_required_for="yes")
    assert clean_errors(step) == {
        "details_required_for": ["Must be one of the step's answers (none for this kind of step)."]
    }


def test_it_does_not_check_answers_against_options_that_are_themselves_wrong(procedure):
    step = make_step(procedure, kind=StepKind.CHOICE, options=[], expected_answer="Yes")
    errors = clean_errors(step)
    assert set(errors) == {"options", "expected_answer"}
    assert errors["expected_answer"] == [
        "Must be one of the step's answers (none for this kind of step)."
    ]


def test_it_refuses_a_default_answer_on_a_step_that_is_not_text(procedure):
    step = make_step(procedure, kind=StepKind.YES_NO, default_value="yes")
    assert clean_errors(step) == {"default_value": ["Only text steps have a default answer."]}


def test_a_text_step_may_offer_a_default_answer(procedure):
    make_step(procedure, kind=StepKind.TEXT, default_value="SI joint fusion — open").clean()


def test_a_procedure_step_may_mark_the_incision(procedure):
    make_step(procedure, phase=Phase.PROCEDURE, milestone=Milestone.INCISION).clean()


@pytest.mark.parametrize("phase", [Phase.SIGN_IN, Phase.TIME_OUT, Phase.SIGN_OUT])
def test_it_refuses_a_milestone_outside_the_procedure_phase(procedure, phase):
    step = make_step(procedure, phase=phase, milestone=Milestone.INCISION)
    assert clean_errors(step) == {
        "milestone": ["Only a step of the Procedure phase marks a milestone."]
    }


def test_it_reports_every_broken_rule_at_once(procedure):
    step = make_step(
        procedure,
        kind=StepKind.CHECK,
        unit="cm",
        options=["Yes"],
        default_value="Fine",
    )
    assert set(clean_errors(step)) == {"unit", "options", "default_value"}


# Database constraints: they hold even when clean() is never called.


def test_the_database_refuses_two_steps_at_one_position_of_a_version(procedure):
    make_step(procedure, position=1).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        make_step(procedure, position=1, title="Another step").save()


def test_the_database_allows_the_same_position_in_two_procedures(procedure):
    other = Procedure.objects.create(title="Other", slug="other", approach=Approach.OPEN)
    make_step(procedure, position=1).save()
    make_step(other, position=1).save()
    assert Step.objects.filter(position=1, version__procedure__in=[procedure, other]).count() == 2


def test_the_database_refuses_a_minimum_above_the_maximum(procedure):
    step = make_step(procedure, kind=StepKind.NUMBER, min_value=Decimal(6), max_value=Decimal(5))
    with pytest.raises(IntegrityError), transaction.atomic():
        step.save()


def test_the_database_accepts_a_single_bound(procedure):
    make_step(procedure, kind=StepKind.NUMBER, min_value=Decimal(6)).save()


def test_the_database_refuses_a_choice_step_without_options(procedure):
    step = make_step(procedure, kind=StepKind.CHOICE, options=[])
    with pytest.raises(IntegrityError), transaction.atomic():
        step.save()


def test_the_database_accepts_a_choice_step_with_options(procedure):
    make_step(procedure, kind=StepKind.CHOICE, options=["Yes", "No"]).save()


# kind_summary()


@pytest.mark.parametrize(
    ("fields", "summary"),
    [
        ({"kind": StepKind.CHECK}, "Check"),
        ({"kind": StepKind.TEXT, "default_value": "Anything"}, "Text"),
        ({"kind": StepKind.IMPLANTS}, "Implant log"),
        ({"kind": StepKind.YES_NO}, "Yes / no"),
        ({"kind": StepKind.YES_NO, "expected_answer": "yes"}, "Yes / no (must be yes)"),
        (
            {"kind": StepKind.CHOICE, "options": ["Yes", "No", "Not applicable"]},
            "Choice: Yes / No / Not applicable",
        ),
        (
            {"kind": StepKind.NUMBER, "unit": "cm", "min_value": 3, "max_value": 5},
            "Number, 3–5 cm",
        ),
        (
            {"kind": StepKind.NUMBER, "unit": "mm", "min_value": "2.5", "max_value": 10},
            "Number, 2.5–10 mm",
        ),
        ({"kind": StepKind.NUMBER, "unit": "cm", "min_value": 3}, "Number, at least 3 cm"),
        ({"kind": StepKind.NUMBER, "max_value": 500}, "Number, at most 500"),
        ({"kind": StepKind.NUMBER, "unit": "cm"}, "Number, cm"),
        ({"kind": StepKind.NUMBER}, "Number"),
    ],
)
def test_it_summarises_what_a_step_asks_for(procedure, fields, summary):
    # Saved and read back, so the bounds are the database's two-decimal values (3.00, 10.00).
    make_step(procedure, **fields).save()
    assert Step.objects.get(version__procedure=procedure).kind_summary() == summary


def test_it_reads_as_its_position_and_title(procedure):
    assert str(make_step(procedure, position=4, title="Wound closed")) == "4. Wound closed"


def test_a_hard_stop_must_be_required(db):
    procedure = Procedure.objects.create(title="HS", slug="hs", approach="open")
    step = make_step(
        procedure, phase="sign_in", title="Gate", role="nurse", hard_stop=True, required=False
    )
    assert "required" in clean_errors(step)
