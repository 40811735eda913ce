"""``{% load timestamps %}`` … ``<time datetime="{{ moment|datetime_attr }}">``.

A ``<time>`` element's machine-readable value, in local time to the second. Django's
``date:'c'`` writes microseconds, and HTML allows at most three digits of a second.
"""

import datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def datetime_attr(moment: datetime.datetime | None) -> str:
    if moment is None:
        return ""
    return timezone.localtime(moment).isoformat(timespec="seconds")
