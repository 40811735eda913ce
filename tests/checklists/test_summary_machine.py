"""A stateful model of the dashboard's counts: cases scheduled on a few days for two surgeons
in two rooms, then signed out (with implants placed or opened and not implanted, the optional
step done, not applicable or left pending), amended, reviewed or cancelled, in any order,
all through the workflow. After every step, the kept counts (``checklists.summary``) are
exactly a recount of the cases as they stand (``tests.checklists.counts``).

Each example runs in a savepoint that its teardown rolls back.
"""

import contextlib
import datetime

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from checklists import workflow
from checklists.choices import StepStatus
from checklists.errors import WorkflowError
from checklists.models import Case
from tests.checklists.counts import kept, recount
from tests.conftest import PASSWORD, make_case, make_procedure, place_implant
from tests.examples import examples
from tests.review.conftest import STEPS

FIRST_DAY = datetime.date(2025, 3, 29)
EXAMPLES = 40
STEPS_PER_EXAMPLE = 15
SPECIMENS, TEAM, INCISION = "Specimens labelled", "Team introduced", "Skin incision made"
# Amendments: a step's new answer (status, value or reason).
AMENDMENTS = {
    "incision re-measured": (INCISION, StepStatus.DONE, "5"),
    "specimens done": (SPECIMENS, StepStatus.DONE, ""),
    "specimens not applicable": (SPECIMENS, StepStatus.NOT_APPLICABLE, "No specimen taken"),
    "team not applicable": (TEAM, StepStatus.NOT_APPLICABLE, "Same team all day"),
    "team done": (TEAM, StepStatus.DONE, ""),
}


class CountsMachine(RuleBasedStateMachine):
    def __init__(self, people: dict, procedure) -> None:
        super().__init__()
        self.people, self.procedure = people, procedure
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        self.open: list[int] = []
        self.signed: list[int] = []

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    @rule(
        day_offset=st.integers(0, 3),
        hour=st.sampled_from([0, 9, 23]),  # local midnight and late evening: the local day
        surgeon=st.sampled_from(["surgeon", "other_surgeon"]),
        room=st.sampled_from(["OR 1", "OR 2"]),
        laterality=st.sampled_from(["left", "right"]),
    )
    def schedule(self, day_offset: int, hour: int, surgeon: str, room: str, laterality: str):
        case = make_case(
            self.procedure,
            actor=self.people["nurse"],
            surgeon=self.people[surgeon],
            room=room,
            laterality=laterality,
            # 29 March to 1 April 2025: over the clock change, at local midnight and late
            scheduled_start=timezone.make_aware(
                datetime.datetime.combine(
                    FIRST_DAY + datetime.timedelta(days=day_offset), datetime.time(hour)
                )
            ),
        )
        self.open.append(case.pk)

    @precondition(lambda self: self.open)
    @rule(
        data=st.data(),
        specimens=st.sampled_from(["done", "na", "pending"]),
        implants=st.lists(
            st.tuples(st.sampled_from(["iFuse-3D", "SI plate"]), st.booleans()), max_size=3
        ),
    )
    def sign_out(self, data, specimens: str, implants: list[tuple[str, bool]]) -> None:
        case_id = self.open.pop(data.draw(st.integers(0, len(self.open) - 1)))
        case = Case.objects.get(pk=case_id)
        nurse = self.people["nurse"]
        surgeon = case.surgeon
        for product, wasted in implants:
            implant = place_implant(case, nurse, workflow.ImplantEntry(product=product))
            if wasted:
                workflow.waste_implant(
                    actor=nurse, case_id=case_id, implant_id=implant.pk, reason="Dropped"
                )
        for step in case.steps.filter(status=StepStatus.PENDING).order_by("position"):
            if step.title == SPECIMENS and specimens != "done":
                if specimens == "pending":
                    continue
                answer = workflow.Answer(status=StepStatus.NOT_APPLICABLE, na_reason="None")
            else:
                value = "4" if step.title == INCISION else ""
                answer = workflow.Answer(status=StepStatus.DONE, value=value)
            workflow.record_step(
                actor=surgeon if step.title == INCISION else nurse,
                case_id=case_id,
                step_id=step.pk,
                answer=answer,
                revision=step.revision,
            )
        workflow.sign_out(actor=surgeon, case_id=case_id, password=PASSWORD)
        self.signed.append(case_id)

    @precondition(lambda self: self.open)
    @rule(data=st.data(), started=st.booleans())
    def cancel(self, data, started: bool) -> None:
        case_id = self.open.pop(data.draw(st.integers(0, len(self.open) - 1)))
        case = Case.objects.get(pk=case_id)
        if started:
            step = case.steps.get(title="Identity confirmed")
            workflow.record_step(
                actor=self.people["nurse"],
                case_id=case_id,
                step_id=step.pk,
                answer=workflow.Answer(status=StepStatus.DONE),
                revision=step.revision,
            )
        workflow.cancel(actor=self.people["nurse"], case_id=case_id, reason="Patient unwell")

    @precondition(lambda self: self.signed)
    @rule(
        case_id=st.runner().flatmap(lambda self: st.sampled_from(self.signed)),
        how=st.sampled_from(sorted(AMENDMENTS)),
    )
    def amend(self, case_id: int, how: str) -> None:
        title, status, detail = AMENDMENTS[how]
        case = Case.objects.get(pk=case_id)
        step = case.steps.get(title=title)
        answer = (
            workflow.Answer(status=status, na_reason=detail)
            if status == StepStatus.NOT_APPLICABLE
            else workflow.Answer(status=status, value=detail or step.value)
        )
        # Already that answer: the amendment changes nothing, and is refused.
        with contextlib.suppress(WorkflowError):
            workflow.amend(
                actor=case.surgeon,
                case_id=case_id,
                step_id=step.pk,
                answer=answer,
                revision=step.revision,
                reason="Corrected from the operative note",
                password=PASSWORD,
            )

    @precondition(lambda self: self.signed)
    @rule(case_id=st.runner().flatmap(lambda self: st.sampled_from(self.signed)))
    def review(self, case_id: int) -> None:
        workflow.mark_reviewed(actor=self.people["reviewer"], case_id=case_id)

    @invariant()
    def the_counts_are_a_recount_of_the_cases(self) -> None:
        assert kept() == recount()


def test_the_counts_follow_every_close_amendment_and_cancellation(
    db, nurse, surgeon, other_surgeon, reviewer
):
    people = {
        "nurse": nurse,
        "surgeon": surgeon,
        "other_surgeon": other_surgeon,
        "reviewer": reviewer,
    }
    procedure = make_procedure(*STEPS, title="Small fusion", slug="small-fusion")
    run_state_machine_as_test(
        lambda: CountsMachine(people, procedure),
        settings=settings(
            max_examples=examples(EXAMPLES),
            stateful_step_count=STEPS_PER_EXAMPLE,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
