"""How SI Tracker names a person: on its pages, in the record, on a signature."""

from django.contrib.auth.models import AbstractBaseUser, User
from django.core.exceptions import ObjectDoesNotExist

from accounts.choices import ClinicalRole


def display_name(user: AbstractBaseUser) -> str:
    """The person's full name, else their username."""
    first, last = getattr(user, "first_name", ""), getattr(user, "last_name", "")
    return display_name_from(first, last, user.get_username())


def display_name_from(first_name: str | None, last_name: str | None, username: str | None) -> str:
    """The same name from a row's columns (a query that reads no User), None for no one."""
    return f"{first_name or ''} {last_name or ''}".strip() or (username or "")


def holds_role(user: User, role: str) -> bool:
    """Whether ``user`` holds the clinical ``role`` (a ``ClinicalRole``): their profile says so,
    or, for the surgeon's role, they are a surgeon (they may sign cases). Unknown means no: the
    record then says the step was recorded *for* that role, and never claims it."""
    if role == ClinicalRole.SURGEON and user.has_perm("checklists.sign_case"):
        return True
    try:
        return bool(role) and user.staff_profile.clinical_role == role
    except ObjectDoesNotExist:
        return False
