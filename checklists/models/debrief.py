"""The debrief at Sign Out (NatSSIPs 2): actions with an owner and a due date, followed up."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.choices import ClinicalRole
from checklists.models.case import Case


class DebriefAction(models.Model):
    """Something the team agreed at the debrief to put right ("order a longer drill bit"), owned
    by a person or by a role, due by a day. It outlives its case: it is shown at the Sign In of
    the next cases in the same room or of the same procedure until someone closes it with a
    note. Each is written by ``checklists.workflow.debrief``, with its audit event."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="debrief_actions")
    what = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    owner_role = models.CharField(max_length=16, choices=ClinicalRole.choices, blank=True)
    due = models.DateField()
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField()
    closing_note = models.TextField(max_length=2000, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due", "raised_at", "pk"]
        indexes = [models.Index(fields=["closed_at", "due"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(owner__isnull=False, owner_role="")
                | models.Q(owner__isnull=True) & ~models.Q(owner_role=""),
                name="debrief_action_owned_by_a_person_or_a_role",
            ),
            models.CheckConstraint(
                condition=models.Q(closed_at__isnull=True, closed_by__isnull=True)
                | models.Q(closed_at__isnull=False, closed_by__isnull=False),
                name="debrief_action_closed_by_whom_and_when",
            ),
        ]

    def __str__(self) -> str:
        return f"Debrief action on case {self.case_id}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due < timezone.localdate()
