"""The diff between two versions of a procedure: steps added, removed, moved, changed field by
field; and the admin's page that shows it."""

import uuid
from decimal import Decimal

import pytest

from procedures.choices import Phase, StepKind, StepRole
from procedures.diff import FieldChange, diff_steps
from procedures.models import Procedure, Step
from tests.procedures.test_admin import CHANGELIST, draft_of, knee_check, make_procedure
from tests.procedures.test_versions import edit_draft, publish_as

__all__ = ["knee_check"]  # the fixture, used by name below


def step(title: str, *, key: uuid.UUID | None = None, **fields) -> Step:
    """An unsaved check step of the procedure phase."""
    fields = {"phase": Phase.PROCEDURE, "role": StepRole.SURGEON, "kind": StepKind.CHECK, **fields}
    return Step(key=key or uuid.uuid4(), title=title, **fields)


def copy(original: Step, **changes) -> Step:
    """The same step in a later version (same key), with ``changes``."""
    names = ["phase", "title", "role", "kind", "required", "hard_stop", "per_side", "options"]
    names += ["unit", "min_value", "max_value", "guidance", "expected_answer"]
    return Step(key=original.key, **({name: getattr(original, name) for name in names} | changes))


@pytest.fixture
def before() -> list[Step]:
    return [step("Incision made"), step("Screw placed"), step("Wound closed")]


def test_the_same_steps_make_an_empty_diff(before):
    assert diff_steps(before, [copy(s) for s in before]).is_empty


def test_it_names_a_step_added_with_its_place(before):
    drain = step("Drain placed")
    after = [copy(before[0]), copy(before[1]), drain, copy(before[2])]

    diff = diff_steps(before, after)

    assert [(e.title, e.phase, e.position) for e in diff.added] == [
        ("Drain placed", "Procedure", 3)
    ]
    assert not (diff.removed or diff.moved or diff.changed)


def test_it_names_a_step_removed_with_where_it_was(before):
    diff = diff_steps(before, [copy(before[0]), copy(before[2])])

    assert [(e.title, e.position) for e in diff.removed] == [("Screw placed", 2)]
    assert not (diff.added or diff.moved or diff.changed)


def test_it_names_only_the_step_that_moved(before):
    # "Wound closed" dragged to the top: the two others kept their order and did not move.
    after = [copy(before[2]), copy(before[0]), copy(before[1])]

    diff = diff_steps(before, after)

    assert [(e.title, e.old_position, e.position) for e in diff.moved] == [("Wound closed", 3, 1)]
    assert not (diff.added or diff.removed or diff.changed)


def test_a_step_removed_does_not_make_the_others_moved(before):
    after = [copy(before[1]), copy(before[2])]
    assert diff_steps(before, after).moved == []


def test_it_tells_each_changed_field_before_and_after(before):
    incision = step(
        "Incision made",
        kind=StepKind.NUMBER,
        unit="cm",
        min_value=Decimal(3),
        max_value=Decimal(5),
        hard_stop=False,
    )
    after = [
        copy(
            incision,
            title="Lateral incision made",
            max_value=Decimal("5.5"),
            hard_stop=True,
            role=StepRole.SCRUB,
        )
    ]

    [entry] = diff_steps([incision], after).changed

    assert entry.title == "Lateral incision made"
    assert entry.changes == (
        FieldChange("Title", "Incision made", "Lateral incision made"),
        FieldChange("Who confirms it", "Surgeon", StepRole.SCRUB.label),
        FieldChange("Hard stop", "no", "yes"),
        FieldChange("Highest answer", "5", "5.5"),
    )


def test_a_step_renamed_is_one_step_changed_not_one_removed_and_one_added(before):
    after = [copy(before[0], title="Skin incision made"), copy(before[1]), copy(before[2])]
    diff = diff_steps(before, after)
    assert (diff.added, diff.removed, len(diff.changed)) == ([], [], 1)


def test_options_are_compared_as_the_lead_typed_them():
    choice = step("Site marked", kind=StepKind.CHOICE, options=["Yes", "No"])
    [entry] = diff_steps([choice], [copy(choice, options=["Yes", "No", "N/A"])]).changed
    assert entry.changes == (FieldChange("Options", "Yes / No", "Yes / No / N/A"),)


def test_a_step_moved_and_changed_is_named_in_both(before):
    after = [copy(before[2], required=False), copy(before[0]), copy(before[1])]
    diff = diff_steps(before, after)
    assert [e.title for e in diff.moved] == [e.title for e in diff.changed] == ["Wound closed"]
    assert diff.changed[0].changes == (FieldChange("Required", "yes", "no"),)


# The admin's page


def compare_url(procedure: Procedure) -> str:
    return f"{CHANGELIST}{procedure.pk}/compare/"


def test_the_page_compares_the_published_version_with_the_draft(
    administrator_client, administrator, knee_check, django_assert_max_num_queries
):
    edit_draft(
        knee_check,
        by=administrator,
        order=["Identity confirmed", "Side confirmed aloud", "Wound closed", "Counts correct"],
        add={"after": "Wound closed", "title": "Drain placed", "role": StepRole.SURGEON},
        change={"Counts correct": {"hard_stop": True}},
    )
    url = compare_url(knee_check)
    administrator_client.get(url)

    with django_assert_max_num_queries(10):
        response = administrator_client.get(url)

    assert response.status_code == 200
    text = response.text
    assert "From version 1 (published) to version 2 (draft)." in text
    assert "“Drain placed” (Procedure), step 4" in text
    assert "“Incision made” (Procedure), was step 3" in text
    assert '<th scope="row">Hard stop</th><td>no</td><td>yes</td>' in text


def test_the_page_compares_any_two_versions_chosen(administrator_client, administrator, knee_check):
    edit_draft(knee_check, by=administrator, change={"Incision made": {"title": "Skin incision"}})
    publish_as(knee_check, by=administrator, note="Renamed.")
    edit_draft(knee_check, by=administrator, change={"Wound closed": {"required": False}})
    publish_as(knee_check, by=administrator, note="Optional.")

    response = administrator_client.get(compare_url(knee_check), {"old": 1, "new": 3})

    assert "From version 1 (retired) to version 3 (published)." in response.text
    assert "<td>Incision made</td><td>Skin incision</td>" in response.text
    assert '<th scope="row">Required</th><td>yes</td><td>no</td>' in response.text


def test_the_page_says_when_there_is_nothing_to_compare(administrator_client, knee_check):
    response = administrator_client.get(compare_url(knee_check))
    assert "Version 1 is the first: there is nothing before it to compare with." in response.text
    draft_of(knee_check)
    response = administrator_client.get(compare_url(knee_check))
    assert "Versions 1 and 2 have the same steps." in response.text


def test_a_version_that_does_not_exist_is_a_form_error_not_a_500(administrator_client, knee_check):
    response = administrator_client.get(compare_url(knee_check), {"old": 1, "new": 7})
    assert response.status_code == 200
    assert "Select a valid choice" in response.text


def test_other_roles_cannot_compare(client, reviewer, knee_check):
    client.force_login(reviewer)
    assert client.get(compare_url(knee_check), follow=True).status_code == 403


def test_a_procedure_made_in_the_admin_compares_its_steps(administrator_client, administrator):
    procedure = make_procedure("Hip check", [(Phase.SIGN_IN, "Identity confirmed")])
    edit_draft(
        procedure, by=administrator, change={"Identity confirmed": {"guidance": "Wristband"}}
    )
    response = administrator_client.get(compare_url(procedure))
    assert '<th scope="row">Guidance</th><td>—</td><td>Wristband</td>' in response.text


def test_an_id_that_is_not_a_procedure_is_a_404(administrator_client):
    assert administrator_client.get(f"{CHANGELIST}not-a-number/compare/").status_code == 404
    assert administrator_client.post(f"{CHANGELIST}999999/draft/").status_code == 404
