"""How well a closed case's checks were done, beside whether they were ticked: one row a case.

Completion alone sits near 100 % and hides the real problems (Pickering, BMJ Qual Saf 2013:
the Time Out attempted in 87 % of operations, all items spoken in 55 %, the whole team present
in 77 %). These are the facts a reviewer filters and the dashboard charts by. Their one
definition is ``checklists.quality``; the workflow writes the row in the transaction that
closes the case (sign-out, cancellation), ``manage.py rebuild_case_quality`` writes them all
again, and the bulk generator writes them for the history it makes. Nothing here is patient
identity.
"""

from django.db import models
from django.db.models import Q

from checklists.models.case import Case


class CaseQuality(models.Model):
    """The quality facts of one closed case (``checklists.quality.QualityFacts`` says what each
    one means). The Time Out's are unknown (null) for a case without a Time Out read aloud (a
    checklist whose Time Out does not gate the procedure, a case cancelled before it)."""

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, primary_key=True, related_name="quality"
    )
    time_out_seconds = models.PositiveIntegerField("Time Out duration (s)", null=True, blank=True)
    surgeon_present = models.BooleanField(null=True, blank=True)
    anaesthetist_present = models.BooleanField(null=True, blank=True)
    circulating_nurse_present = models.BooleanField(null=True, blank=True)
    scrub_present = models.BooleanField(null=True, blank=True)
    all_items_spoken = models.BooleanField("every item spoken aloud", null=True, blank=True)
    everyone_present = models.BooleanField("everyone stopped and present", null=True, blank=True)
    interruptions = models.PositiveSmallIntegerField(null=True, blank=True)
    stops = models.PositiveSmallIntegerField("Stops called", default=0)
    longest_stop_seconds = models.PositiveIntegerField(null=True, blank=True)
    time_outs_repeated = models.PositiveSmallIntegerField(default=0)
    steps_after_closing = models.PositiveSmallIntegerField(default=0)
    busiest_minute_steps = models.PositiveSmallIntegerField(default=0)
    recorded_after_the_fact = models.BooleanField(default=False)

    class Meta:
        verbose_name = "case quality"
        verbose_name_plural = "case quality"
        constraints = [
            # The team's attestations come with the team: both known, or both unknown.
            models.CheckConstraint(
                condition=Q(
                    surgeon_present__isnull=True,
                    all_items_spoken__isnull=True,
                    everyone_present__isnull=True,
                    interruptions__isnull=True,
                )
                | Q(
                    surgeon_present__isnull=False,
                    all_items_spoken__isnull=False,
                    everyone_present__isnull=False,
                    interruptions__isnull=False,
                ),
                name="case_quality_team_with_attestations",
            ),
        ]

    def __str__(self) -> str:
        return f"Quality of case {self.case_id}"

    @property
    def read_aloud(self) -> bool:
        """Whether the case had a Time Out read aloud and ended with its team."""
        return self.surgeon_present is not None

    @property
    def full_team(self) -> bool | None:
        """Surgeon, anaesthetist, circulating nurse and scrub at every Time Out ended."""
        if not self.read_aloud:
            return None
        return bool(
            self.surgeon_present
            and self.anaesthetist_present
            and self.circulating_nurse_present
            and self.scrub_present
        )

    @property
    def attested_well(self) -> bool | None:
        """Pickering's three, all as they should be: every item spoken, everyone stopped and
        present, no interruption."""
        if not self.read_aloud:
            return None
        return bool(self.all_items_spoken and self.everyone_present and not self.interruptions)

    @property
    def time_out_words(self) -> str:
        """The Time Out's duration as a reviewer reads it: "1 min 35 s"."""
        return _in_words(self.time_out_seconds)

    @property
    def longest_stop_words(self) -> str:
        return _in_words(self.longest_stop_seconds)


def _in_words(seconds: int | None) -> str:
    """A duration in minutes and seconds: "4 min 05 s", "45 s"; "" when unknown."""
    if seconds is None:
        return ""
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"
