"""A side disagreement: a side seen on the case that is not the case's side."""

from django.conf import settings
from django.db import models

from checklists.models.case import Case, CaseStep
from checklists.models.records import Implant


class SideDisagreement(models.Model):
    """Someone recorded a side that is not the case's: the side seen on the consent, on the
    skin mark or on the images (a side step, ``StepKind.SIDE``), or an implant logged for a
    side the case does not have. Raised by ``checklists.workflow`` in the same transaction as
    the answer or the implant that disagrees, it is a hard stop for the whole case: every step
    and implant change, and the sign-out, are refused until a surgeon resolves it with a
    reason. A Stop called by the team (``Concern``) may still be called meanwhile.

    What disagrees is kept here as it was when raised (``place``, ``side_seen``,
    ``case_side``), so the record reads the same after the answer changes.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="side_disagreements")
    # The step whose answer disagrees, or the implant logged on another side (one of the two).
    step = models.ForeignKey(
        CaseStep, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # An implant's row may be removed from the log later (with its own audit event).
    implant = models.ForeignKey(
        Implant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    place = models.CharField("where the side was seen", max_length=250)
    side_seen = models.CharField(max_length=8)  # left, right or both
    case_side = models.CharField(max_length=16)  # the case's laterality when raised
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
                | models.Q(resolved_at__isnull=False, resolved_by__isnull=False)
                & ~models.Q(resolution=""),
                name="side_disagreement_resolved_by_whom_when_why",
            )
        ]

    def __str__(self) -> str:
        return f"Side disagreement on case {self.case_id}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def summary(self) -> str:
        """What disagrees, in words: "Operative site marked: right seen, the case is left"."""
        return f"{self.place}: {self.side_seen} seen, the case is {self.case_side}"
