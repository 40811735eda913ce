"""A case's compliance facts: their one definition, computed from the case's step rows.

The workflow stores them on the case when it closes (sign-out, amendment, cancellation), and
``checklists.bulk`` on the history it generates, so that the review list, its filters and the
dashboard read the case table alone instead of every case's steps. The backfill migration
(0008) holds a frozen copy of these rules in SQL, from before the incision was a milestone of
its own (it went by the step's title then); its tests compare the two.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from checklists.choices import StepStatus
from checklists.models import CaseStep, is_stop
from procedures.choices import Milestone, Phase

# The Case fields these facts are stored in (``amended`` is set by the amendment itself).
CASE_FIELDS = ("time_out_at", "incision_at", "required_complete")


class StepFacts(NamedTuple):
    """The columns of a case step that compliance reads, in ``STEP_FIELDS`` order."""

    phase: str
    milestone: str
    status: str
    required: bool
    recorded_at: datetime.datetime | None
    # What makes a Stop (``CaseStep.is_stop``); defaults for a step that expects no answer.
    expected_answer: str = ""
    value: str = ""
    stop_overridden_by_id: int | None = None

    @classmethod
    def of(cls, step: CaseStep) -> "StepFacts":
        return cls(*(getattr(step, name) for name in cls._fields))


STEP_FIELDS = StepFacts._fields


@dataclass(frozen=True)
class Compliance:
    """What a reviewer is told about a case's checklist.

    - ``time_out_at``: when the Time Out was complete, the latest ``recorded_at`` of its
      recorded steps (done or not applicable);
    - ``incision_at``: when the skin was first opened, the earliest ``recorded_at`` of the
      done procedure steps marked as the incision (``Milestone.INCISION``). The earliest
      rather than the first by position: on a bilateral case the Time Out must come before
      whichever side was opened first;
    - ``required_complete``: no required step is pending, and no step is a Stop (an expected
      answer not given, not overridden): nothing ``workflow.missing_for_sign_out`` names.
    """

    time_out_at: datetime.datetime | None
    incision_at: datetime.datetime | None
    required_complete: bool

    @property
    def time_out_before_incision(self) -> bool:
        return time_out_before_incision(self.time_out_at, self.incision_at)


def time_out_before_incision(
    time_out_at: datetime.datetime | None, incision_at: datetime.datetime | None
) -> bool:
    """Both recorded, and the Time Out no later than the incision. False when either is
    missing: compliance that cannot be shown is not compliance. (``review.selectors`` says
    the same in SQL over the stored columns, so the list can filter and sort by it.)"""
    return time_out_at is not None and incision_at is not None and time_out_at <= incision_at


def compliance_of(steps: Iterable[StepFacts]) -> Compliance:
    """The facts of one case, from all of its steps."""
    time_out, incision, required_complete = [], [], True
    for step in steps:
        overridden = step.stop_overridden_by_id is not None
        if (step.required and step.status == StepStatus.PENDING) or is_stop(
            step.expected_answer, step.status, step.value, overridden=overridden
        ):
            required_complete = False
        if step.recorded_at is None:
            continue
        if step.phase == Phase.TIME_OUT and step.status != StepStatus.PENDING:
            time_out.append(step.recorded_at)
        elif (
            step.phase == Phase.PROCEDURE
            and step.status == StepStatus.DONE
            and step.milestone == Milestone.INCISION
        ):
            incision.append(step.recorded_at)
    return Compliance(
        time_out_at=max(time_out, default=None),
        incision_at=min(incision, default=None),
        required_complete=required_complete,
    )


def case_compliance(*, case_id: int) -> Compliance:
    """The facts of a case as its steps stand in the database: one query."""
    rows = CaseStep.objects.filter(case_id=case_id).order_by().values_list(*STEP_FIELDS)
    return compliance_of(StepFacts(*row) for row in rows)
