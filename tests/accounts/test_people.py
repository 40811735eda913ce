from django.contrib.auth.models import AnonymousUser, User
from django.template import Context, Template

from accounts.people import display_name, display_name_from


def render(user: object) -> str:
    return Template("{% load people %}{{ person|display_name }}").render(Context({"person": user}))


def test_a_person_is_named_by_their_full_name():
    assert display_name(User(username="nurse", first_name="Nora", last_name="Nurse")) == (
        "Nora Nurse"
    )
    assert display_name(User(username="nurse", first_name="Nora")) == "Nora"


def test_a_person_without_a_name_is_named_by_their_username():
    assert display_name(User(username="nurse")) == "nurse"


def test_a_row_without_a_person_names_no_one():
    assert display_name_from("Nora", "Nurse", "nurse") == "Nora Nurse"
    assert display_name_from("", "", "nurse") == "nurse"
    assert display_name_from(None, None, None) == ""


def test_the_template_filter_names_a_person_and_no_one():
    assert render(User(username="o'neill", first_name="Pat", last_name="O'Neill")) == (
        "Pat O&#x27;Neill"
    )
    assert render(User(username="nurse")) == "nurse"
    assert render(None) == ""
    assert render(AnonymousUser()) == ""
