"""The compliance facts' one definition, on step rows made up in memory (no database)."""

import datetime

import pytest

from checklists.compliance import Compliance, StepFacts, compliance_of

T = datetime.datetime(2025, 3, 3, 9, 0, tzinfo=datetime.UTC)


def at(minutes: float) -> datetime.datetime:
    return T + datetime.timedelta(minutes=minutes)


def step(phase, milestone="", status="done", *, required=True, minute=None):
    recorded = None if status == "pending" else at(minute or 0)
    return StepFacts(phase, milestone, status, required, recorded)


INCISION = "incision"
SIGN_IN = step("sign_in", minute=1)
TEAM = step("time_out", minute=10)
IMAGING = step("time_out", status="na", minute=12)
LEFT = step("procedure", INCISION, minute=30)
RIGHT = step("procedure", INCISION, minute=20)
CLOSED = step("procedure", minute=60)


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        pytest.param(
            [SIGN_IN, TEAM, IMAGING, LEFT, RIGHT, CLOSED],
            Compliance(at(12), at(20), True),
            id="latest-time-out-step-not-applicable-counts-earliest-incision-side",
        ),
        pytest.param(
            [TEAM, step("time_out", status="pending", required=False), LEFT],
            Compliance(at(10), at(30), True),
            id="pending-time-out-step-does-not-count-optional-pending-is-complete",
        ),
        pytest.param(
            [TEAM, step("procedure", INCISION, "na", minute=5), LEFT],
            Compliance(at(10), at(30), True),
            id="an-incision-not-applicable-is-not-an-incision",
        ),
        pytest.param(
            [TEAM, step("procedure", minute=5), LEFT],
            Compliance(at(10), at(30), True),
            id="a-procedure-step-not-marked-as-the-incision-does-not-count",
        ),
        pytest.param(
            [TEAM, step("procedure", minute=40)],
            Compliance(at(10), None, True),
            id="no-step-marked-as-the-incision-no-incision",
        ),
        pytest.param(
            [TEAM, step("sign_out", INCISION, minute=15), LEFT],
            Compliance(at(10), at(30), True),
            id="an-incision-outside-the-procedure-phase-does-not-count",
        ),
        pytest.param(
            [SIGN_IN, step("time_out", status="pending"), LEFT],
            Compliance(None, at(30), False),
            id="required-time-out-pending",
        ),
        pytest.param(
            [StepFacts("time_out", "", "done", True, None), LEFT],
            Compliance(None, at(30), True),
            id="a-step-without-a-time-does-not-count",
        ),
        pytest.param([], Compliance(None, None, True), id="no-steps"),
    ],
)
def test_the_facts_follow_their_definitions(steps, expected):
    assert compliance_of(steps) == expected


@pytest.mark.parametrize(
    ("time_out", "incision", "before"),
    [(10, 20, True), (20, 20, True), (21, 20, False), (None, 20, False), (10, None, False)],
)
def test_the_time_out_is_before_the_incision_only_when_both_were_recorded(
    time_out, incision, before
):
    facts = Compliance(
        time_out_at=None if time_out is None else at(time_out),
        incision_at=None if incision is None else at(incision),
        required_complete=True,
    )
    assert facts.time_out_before_incision is before


def counts(value: str, *, status: str = "done", overridden_by: int | None = None) -> StepFacts:
    return StepFacts("sign_out", "", status, True, at(70), "yes", value, overridden_by)


@pytest.mark.parametrize(
    ("answer", "complete"),
    [
        pytest.param(counts("yes"), True, id="the-expected-answer"),
        pytest.param(counts("no"), False, id="a-stop-is-not-complete"),
        pytest.param(counts("", status="na"), False, id="not-applicable-is-a-stop-too"),
        pytest.param(counts("no", overridden_by=3), True, id="an-overridden-stop-is-resolved"),
    ],
)
def test_a_stop_leaves_the_required_steps_incomplete_until_overridden(answer, complete):
    assert compliance_of([TEAM, LEFT, answer]).required_complete is complete
