"""The team's Time Out, performed aloud: who was there, how long it took, how well it was done."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from checklists.choices import Side, StepStatus
from checklists.models.case import Case, CaseStep
from procedures.choices import Phase

# The team present, by role: each a person from the staff list. The scrub may be absent (a
# case without a scrub practitioner); the others may not.
TEAM_ROLES = ("surgeon", "anaesthetist", "circulating_nurse", "scrub")
REQUIRED_TEAM_ROLES = ("surgeon", "anaesthetist", "circulating_nurse")


def _person(label: str) -> models.ForeignKey:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=label,
    )


class TimeOut(models.Model):
    """One Time Out, read aloud with the team: the case's (``side`` blank), or, in a bilateral
    case, the side Time Out before the second side's first procedure step (``side`` names it).

    Started, then ended with the team present by role and the team's three attestations, the
    measures Pickering (BMJ Qual Saf 2013) observed: every item spoken aloud; everyone stopped
    and present; interruptions, counted. A Time Out that holds (ended, not invalidated) lets
    procedure steps go ahead; a new surgeon or a Stop invalidates it, with the reason kept, and
    the team repeats it. Each is written by ``checklists.workflow.time_out`` with its audit
    events.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="time_outs")
    side = models.CharField(max_length=8, choices=Side.choices, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField()
    ended_by = _person("ended by")
    ended_at = models.DateTimeField(null=True, blank=True)
    surgeon = _person("surgeon")
    anaesthetist = _person("anaesthetist")
    circulating_nurse = _person("circulating nurse")
    scrub = _person("scrub")
    all_items_spoken = models.BooleanField("every item spoken aloud", null=True, blank=True)
    everyone_present = models.BooleanField("everyone stopped and present", null=True, blank=True)
    interruptions = models.PositiveSmallIntegerField(null=True, blank=True)
    invalidated_at = models.DateTimeField(null=True, blank=True)
    invalidated_by = _person("invalidated by")
    invalidated_reason = models.TextField("why it no longer holds", max_length=2000, blank=True)

    class Meta:
        ordering = ["case_id", "started_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    ended_at__isnull=True,
                    ended_by__isnull=True,
                    surgeon__isnull=True,
                    anaesthetist__isnull=True,
                    circulating_nurse__isnull=True,
                    scrub__isnull=True,
                    all_items_spoken__isnull=True,
                    everyone_present__isnull=True,
                    interruptions__isnull=True,
                )
                | Q(
                    ended_at__isnull=False,
                    ended_by__isnull=False,
                    surgeon__isnull=False,
                    anaesthetist__isnull=False,
                    circulating_nurse__isnull=False,
                    all_items_spoken__isnull=False,
                    everyone_present__isnull=False,
                    interruptions__isnull=False,
                ),
                name="time_out_ended_with_team_and_attestations",
            ),
            models.CheckConstraint(
                condition=Q(invalidated_at__isnull=True, invalidated_by__isnull=True)
                | Q(invalidated_at__isnull=False, invalidated_by__isnull=False)
                & ~Q(invalidated_reason=""),
                name="time_out_invalidated_by_whom_when_and_why",
            ),
            # One Time Out in progress per case and side: two tablets starting at once make one.
            models.UniqueConstraint(
                fields=["case", "side"],
                condition=Q(ended_at__isnull=True, invalidated_at__isnull=True),
                name="time_out_one_in_progress",
            ),
        ]

    def __str__(self) -> str:
        return f"Time Out on case {self.case_id}" + (f" ({self.side} side)" if self.side else "")

    @property
    def label(self) -> str:
        return f"{self.get_side_display()} side Time Out" if self.side else "Time Out"

    @property
    def in_progress(self) -> bool:
        return self.ended_at is None and self.invalidated_at is None

    @property
    def holds(self) -> bool:
        """Ended, and not invalidated since: procedure steps may go ahead on it."""
        return self.ended_at is not None and self.invalidated_at is None

    @property
    def interrupted(self) -> bool | None:
        return None if self.interruptions is None else self.interruptions > 0

    @property
    def duration(self) -> datetime.timedelta | None:
        """End minus start, once ended."""
        return None if self.ended_at is None else self.ended_at - self.started_at

    @property
    def duration_seconds(self) -> int | None:
        duration = self.duration
        return None if duration is None else int(duration.total_seconds())


@dataclass(frozen=True)
class TimeOutGate:
    """What the Time Out record holds back: the one definition of the gate, which
    ``workflow.record_step`` refuses by and the checklist page locks its rows by.

    - A case whose Time Out gates its procedure phase (its Time Out steps'
      ``gates_later_phases``, as every seeded procedure's) records no procedure step without a
      Time Out that holds: ended, with its team and attestations, and not invalidated since by a
      new surgeon or a Stop. A checklist without such a Time Out (a template made before the
      rule, a test's small template) has nothing to read aloud, and is not held back.
    - In a bilateral case, the *second side* is the side other than the one whose procedure
      step was recorded first (by its recorded time). Its procedure steps wait, besides, for a
      side Time Out of that side that holds (side, site mark visible, implants for that side).
      Before any procedure step of a side is recorded there is no second side yet; steps of no
      side never wait for a side Time Out.
    """

    required: bool
    time_outs: tuple[TimeOut, ...]  # the case's, in the order started
    first_side: str  # the side of the first procedure step recorded; "" while none is

    @property
    def second_side(self) -> str:
        if not self.first_side:
            return ""
        return Side.RIGHT if self.first_side == Side.LEFT else Side.LEFT

    def latest(self, side: str = "") -> TimeOut | None:
        """The newest Time Out of ``side`` ("" the case's), whatever its state."""
        return next((t for t in reversed(self.time_outs) if t.side == side), None)

    def holds(self, side: str = "") -> bool:
        latest = self.latest(side)
        return latest is not None and latest.holds

    def waits(self, step: CaseStep) -> str:
        """Why ``step`` may not be recorded now, in words for the tablet; "" if it may."""
        due = self.due(step)
        if not due:
            return ""
        side = "" if due == "Time Out" else step.side
        label = f"{Side(side).label.lower()} side Time Out" if side else "Time Out"
        return f"“{step.label}” waits for {self._problem(side, label)}"

    def due(self, step: CaseStep) -> str:
        """The Time Out ``step`` waits for, by its name ("Time Out", "Right side Time Out"),
        or "" when it waits for none: what the checklist and the wall show as the team's next
        move instead of a procedure step it may not record yet."""
        if not self.required or step.phase != Phase.PROCEDURE:
            return ""
        if self._problem("", "Time Out"):
            return "Time Out"
        if step.side and step.side == self.second_side and self._problem(step.side, ""):
            return f"{Side(step.side).label} side Time Out"
        return ""

    def _problem(self, side: str, label: str) -> str:
        latest = self.latest(side)
        if latest is None:
            return f"the {label}: start it and read it aloud with the whole team."
        if latest.in_progress:
            return f"the {label} in progress: end it with the team and the attestations."
        if latest.invalidated_at is not None:
            when = timezone.localtime(latest.invalidated_at).strftime("%H:%M")
            return (
                f"the {label} to be repeated: the one done before no longer holds "
                f"({latest.invalidated_reason}, at {when})."
            )
        return ""


def gate_of(case: Case, steps: Iterable[CaseStep], time_outs: Iterable[TimeOut]) -> TimeOutGate:
    """The gate from the case's steps and Time Outs already read (the checklist page): no
    query."""
    steps = list(steps)
    required = any(s.phase == Phase.TIME_OUT and s.gates_later_phases for s in steps)
    recorded = [
        s for s in steps if s.phase == Phase.PROCEDURE and s.side and s.recorded_at is not None
    ]
    first = min(recorded, key=lambda s: (s.recorded_at, s.position), default=None)
    return TimeOutGate(
        required=required,
        time_outs=tuple(sorted(time_outs, key=lambda t: (t.started_at, t.pk))),
        first_side=first.side if first else "",
    )


def time_out_gate(case: Case) -> TimeOutGate:
    """The gate of ``case`` as the database holds it now: three small queries."""
    required = case.steps.filter(phase=Phase.TIME_OUT, gates_later_phases=True).exists()
    first = (
        case.steps.filter(phase=Phase.PROCEDURE)
        .exclude(side="")
        .exclude(status=StepStatus.PENDING)
        .order_by("recorded_at", "position")
        .values_list("side", flat=True)
        .first()
    )
    return TimeOutGate(
        required=required,
        time_outs=tuple(case.time_outs.order_by("started_at", "pk")),
        first_side=first or "",
    )
