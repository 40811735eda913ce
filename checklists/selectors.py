"""Reads across cases and their relations. Writes live in checklists.workflow."""

import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from checklists.choices import StepStatus
from checklists.models import Case


def cases_for_day(*, day: datetime.date) -> QuerySet[Case]:
    """Cases scheduled on ``day`` (local time), by room then time, with their step counts."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    end = start + datetime.timedelta(days=1)
    return (
        Case.objects.filter(scheduled_start__gte=start, scheduled_start__lt=end)
        .select_related("procedure", "surgeon")
        .annotate(
            steps_total=Count("steps"),
            steps_recorded=Count("steps", filter=~Q(steps__status=StepStatus.PENDING)),
        )
        .order_by("room", "scheduled_start")
    )
