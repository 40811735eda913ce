"""Emergency access ("break-glass", HIPAA §164.312(a)(2)(ii)): reading a case's review record
without the role that normally allows it, for a reason given at the time, for a short while.

Each grant covers one case for one person, ends by itself (``settings.EMERGENCY_ACCESS_MINUTES``),
writes an access-log entry of its own kind and a warning to the server log, and waits in the
admin until an administrator signs it off (``review.emergency``). The log of who read what,
``RecordAccess``, lives in ``checklists`` with the pages that write it.
"""

import math

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.text import validate_plain_text
from checklists.models import Case


class EmergencyAccessQuerySet(models.QuerySet["EmergencyAccess"]):
    def active(self) -> "EmergencyAccessQuerySet":
        now = timezone.now()
        return self.filter(started_at__lte=now, ends_at__gt=now)

    def not_reviewed(self) -> "EmergencyAccessQuerySet":
        return self.filter(reviewed_at__isnull=True)


class EmergencyAccess(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="emergency_accesses",
        verbose_name="person",
    )
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="emergency_accesses")
    reason = models.TextField(
        max_length=1000,
        validators=[validate_plain_text],
        help_text="Why the record was needed, in the person's own words.",
    )
    started_at = models.DateTimeField("started")
    ends_at = models.DateTimeField("ends")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="signed off by",
    )
    reviewed_at = models.DateTimeField("signed off", null=True, blank=True)

    objects = EmergencyAccessQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = "emergency access"
        verbose_name_plural = "emergency accesses"
        indexes = [
            models.Index(fields=["user", "ends_at"]),
            models.Index(fields=["reviewed_at", "started_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("started_at")), name="emergency_access_ends_after_start"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="emergency_access_has_reason"),
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True, reviewed_at__isnull=True)
                | Q(reviewed_by__isnull=False, reviewed_at__isnull=False),
                name="emergency_access_signed_off_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"Emergency access to case {self.case_id}"

    @property
    def is_active(self) -> bool:
        return self.started_at <= timezone.now() < self.ends_at

    @property
    def minutes_left(self) -> int:
        """Whole minutes to go, rounded up: "1 min left" until the very end."""
        seconds = (self.ends_at - timezone.now()).total_seconds()
        return max(0, math.ceil(seconds / 60))
