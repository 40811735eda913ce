"""Personas and tiny builders shared by the whole suite. Everything runs on the real database."""

import pytest
from django.contrib.auth.models import Group, User

from checklists import roles

PASSWORD = "Theatre-4-demo"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness is for attackers, not for a test suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(username: str, role: str, *, first_name: str = "", last_name: str = "") -> User:
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        first_name=first_name or username.title(),
        last_name=last_name or "Demo",
        is_staff=role == roles.ADMINISTRATOR,
    )
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def nurse(db) -> User:
    return make_user("nurse", roles.OR_STAFF, first_name="Nora", last_name="Nurse")


@pytest.fixture
def scrub(db) -> User:
    return make_user("scrub", roles.OR_STAFF, first_name="Sam", last_name="Scrub")


@pytest.fixture
def anaesthetist(db) -> User:
    return make_user("anaesthetist", roles.OR_STAFF, first_name="Ana", last_name="Sthetist")


@pytest.fixture
def surgeon(db) -> User:
    return make_user("surgeon", roles.SURGEON, first_name="Sue", last_name="Surgeon")


@pytest.fixture
def reviewer(db) -> User:
    return make_user("reviewer", roles.REVIEWER, first_name="Rae", last_name="Reviewer")


@pytest.fixture
def administrator(db) -> User:
    return make_user("admin", roles.ADMINISTRATOR, first_name="Ada", last_name="Admin")
