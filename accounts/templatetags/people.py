"""``{% load people %}`` … ``{{ step.recorded_by|display_name }}``: accounts.people in templates."""

from django import template

from accounts import people

register = template.Library()


@register.filter
def display_name(user: object) -> str:
    """The person's name, or nothing when there is nobody (no one recorded the step yet)."""
    if not user or not getattr(user, "is_authenticated", False):
        return ""
    return people.display_name(user)
