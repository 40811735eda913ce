"""The access log: who saw which case's patient identity, and when."""

from typing import Any

from django.conf import settings
from django.db import models

from accounts.models import EnrolledDevice
from checklists.choices import AccessAction
from checklists.models.case import Case

RECORD_ACCESS_APPEND_ONLY = (
    "Record access entries are append-only: they cannot be changed or deleted."
)


class RecordAccessQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise TypeError(RECORD_ACCESS_APPEND_ONLY)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError(RECORD_ACCESS_APPEND_ONLY)


class RecordAccess(models.Model):
    """Who saw which case records, and when: the access log (HIPAA §164.312(b), audit controls).

    The audit trail records every change to a case; this log records reading: every page and
    export that shows a patient's name or MRN writes one entry per view (``checklists.access``).
    Append-only, and without patient identity: ``filters`` describes a list's filters, and an
    MRN search is noted without its MRN. It lives here, below every page that shows identity;
    its table keeps the name it had in the review app, where it began.
    """

    # Who saw it: a person, or a room's wall display (which shows a patient's identity during
    # Sign In and the Time Out to everyone in the room, with nobody signed in).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    device = models.ForeignKey(
        EnrolledDevice, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="accesses"
    )
    action = models.CharField(max_length=16, choices=AccessAction.choices)
    at = models.DateTimeField()
    filters = models.TextField(
        blank=True, help_text="The filters of a list or an export; never patient identity."
    )
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    objects = RecordAccessQuerySet.as_manager()

    class Meta:
        db_table = "review_recordaccess"
        ordering = ["-at", "-pk"]
        verbose_name = "record access"
        verbose_name_plural = "record accesses"
        indexes = [models.Index(fields=["at"]), models.Index(fields=["case", "at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, device__isnull=True)
                | models.Q(user__isnull=True, device__isnull=False),
                name="recordaccess_by_a_person_or_a_display",
            )
        ]

    def __str__(self) -> str:
        what = f"case {self.case_id}" if self.case_id else "cases"
        return f"{self.get_action_display()}: {what}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError(RECORD_ACCESS_APPEND_ONLY)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError(RECORD_ACCESS_APPEND_ONLY)
