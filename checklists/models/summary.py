"""Day by day counts of closed cases, for the dashboard: a year of them is read in a few
thousand rows instead of every case's steps and implants.

Written only by ``checklists.summary``, which the workflow calls in the same transaction as
the change that moves a figure (sign-out, amendment, cancellation), and which the bulk
generator and ``manage.py rebuild_case_counts`` use too. Each row counts the cases of one
local day (the hospital's time zone, as the dashboard's period is), procedure and surgeon;
nothing here is patient identity. A row is never deleted by the workflow: counts only move.

``SpreadCount`` is the exception to "day by day": it counts by month, because medians need
every value and a day of a busy region holds about as many distinct values as cases.
"""

from django.conf import settings
from django.db import models

from checklists.choices import Measure
from procedures.models import Procedure


class DayCounts(models.Model):
    """What every summary row shares: the day the cases were scheduled on, their procedure
    and surgeon (the dashboard's filters)."""

    day = models.DateField()
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="+")
    surgeon = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        name = type(self).__name__
        return f"{name} {self.day}, procedure {self.procedure_id}, surgeon {self.surgeon_id}"


class CaseCount(DayCounts):
    """Cases signed out (completed or reviewed) and cancelled, by day, procedure, surgeon
    and room."""

    room = models.CharField(max_length=32)
    signed_out = models.PositiveIntegerField(default=0)
    cancelled = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "procedure", "surgeon", "room"], name="case_count_key"
            )
        ]


class StepCount(DayCounts):
    """The steps of signed-out cases by title, as they now stand: done, not applicable,
    still pending. ``first_position`` orders the titles as the checklist does."""

    phase = models.CharField(max_length=16)
    title = models.CharField(max_length=200)
    first_position = models.PositiveIntegerField()
    done = models.PositiveIntegerField(default=0)
    not_applicable = models.PositiveIntegerField(default=0)
    pending = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "procedure", "surgeon", "phase", "title"], name="step_count_key"
            )
        ]


class ImplantSideCount(DayCounts):
    """Implants placed (not those opened and not implanted) in signed-out cases, by side,
    and the sides that had at least one."""

    side = models.CharField(max_length=8)
    implants = models.PositiveIntegerField(default=0)
    sides = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "procedure", "surgeon", "side"], name="implant_side_count_key"
            )
        ]


class ImplantProductCount(DayCounts):
    """Implants opened in signed-out cases by product, and of them those not implanted."""

    manufacturer = models.CharField(max_length=200)
    product = models.CharField(max_length=200)
    opened = models.PositiveIntegerField(default=0)
    wasted = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "procedure", "surgeon", "manufacturer", "product"],
                name="implant_product_count_key",
            )
        ]


class QualityCount(DayCounts):
    """How the checks of signed-out cases went, counted from their ``CaseQuality`` facts:
    the cases with facts, those whose Time Out was read aloud, with the full team at it,
    attested well, filled in after the fact, and the Stops called."""

    cases = models.PositiveIntegerField(default=0)
    read_aloud = models.PositiveIntegerField(default=0)
    full_team = models.PositiveIntegerField(default=0)
    attested_well = models.PositiveIntegerField(default=0)
    after_the_fact = models.PositiveIntegerField(default=0)
    stops = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "procedure", "surgeon"], name="quality_count_key"
            )
        ]


class SpreadCount(models.Model):
    """How many signed-out cases of one local month, procedure and surgeon measured each
    whole ``value`` of a ``Measure``: a histogram, from which medians and 90th percentiles are
    exact (of the whole values) whatever the number of cases. The month is its first day.

    By month, not day: at a region's size (a million cases a year) a day, procedure and
    surgeon holds almost as many distinct minutes as cases, and rows by day would be as many
    as the cases. The dashboard reads the days of a period's partial months from the cases."""

    month = models.DateField()
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="+")
    surgeon = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    measure = models.CharField(max_length=24, choices=Measure.choices)
    value = models.IntegerField()  # negative when the incision came before the Time Out
    cases = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "procedure", "surgeon", "measure", "value"],
                name="spread_count_key",
            )
        ]

    def __str__(self) -> str:
        return (
            f"SpreadCount {self.month:%Y-%m}, procedure {self.procedure_id}, surgeon "
            f"{self.surgeon_id}, {self.measure} {self.value}: {self.cases}"
        )
