"""``{% load people %}`` … ``{{ step.recorded_by|display_name }}``: accounts.people in templates."""

from django import template
from django.contrib.auth.models import AbstractBaseUser

from accounts import people

register = template.Library()


@register.filter
def display_name(user: AbstractBaseUser | None) -> str:
    """The person's name, or nothing when there is nobody (no one recorded the step yet)."""
    if user is None or not user.is_authenticated:
        return ""
    return people.display_name(user)
