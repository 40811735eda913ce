"""A Stop called by anyone in the room: a concern that halts the procedure until resolved."""

from django.conf import settings
from django.db import models

from checklists.models.case import Case


class Concern(models.Model):
    """Someone on the team said "Stop" (a concern: the wrong side, a missing implant, anything),
    with a few words why. While it stands, procedure steps are refused; someone resolves it with
    a note. Each is written by ``checklists.workflow.concerns``, with its audit event."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="concerns")
    reason = models.CharField(max_length=200)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField()
    resolution = models.TextField(max_length=2000, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["case_id", "raised_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(resolved_at__isnull=True, resolved_by__isnull=True)
                | models.Q(resolved_at__isnull=False, resolved_by__isnull=False),
                name="concern_resolved_by_whom_and_when",
            )
        ]

    def __str__(self) -> str:
        return f"Stop on case {self.case_id}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
