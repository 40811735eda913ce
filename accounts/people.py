"""How SI Tracker names a person: on its pages, in the record, on a signature."""

from django.contrib.auth.models import AbstractBaseUser


def display_name(user: AbstractBaseUser) -> str:
    """The person's full name, else their username."""
    first, last = getattr(user, "first_name", ""), getattr(user, "last_name", "")
    return display_name_from(first, last, user.get_username())


def display_name_from(first_name: str | None, last_name: str | None, username: str | None) -> str:
    """The same name from a row's columns (a query that reads no User), None for no one."""
    return f"{first_name or ''} {last_name or ''}".strip() or (username or "")
