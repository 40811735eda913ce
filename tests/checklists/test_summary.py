"""The dashboard's day-by-day counts: kept by the workflow as cases close or are amended, by
the bulk generator as it writes, and counted again from the cases by ``rebuild_case_counts``
and by the migration that created them; always what a recount of the cases gives."""

import datetime
import importlib
from io import StringIO
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from checklists import bulk, summary, workflow
from checklists.choices import StepStatus
from checklists.models import (
    Case,
    CaseCount,
    ImplantProductCount,
    ImplantSideCount,
    QualityCount,
    SpreadCount,
    StepCount,
)
from tests.checklists.counts import kept, recount
from tests.conftest import PASSWORD, make_case, make_procedure, record
from tests.review.conftest import STEPS, amend_incision, day, signed_out


@pytest.fixture
def procedure(db):
    return make_procedure(*STEPS, title="Small fusion", slug="small-fusion")


def test_sign_out_counts_the_case_its_steps_and_implants(procedure, nurse, surgeon):
    case = signed_out(
        procedure,
        nurse=nurse,
        surgeon=surgeon,
        scheduled_start=day(2025, 6, 2, 23),  # 23:00 in London: still the 2nd locally
        implants=[("iFuse-3D", ""), ("iFuse-3D", ""), ("iFuse-3D", "Dropped on the floor")],
    )

    head = (datetime.date(2025, 6, 2), procedure.pk, surgeon.pk)
    assert CaseCount.objects.get().signed_out == 1
    assert set(kept()["CaseCount"]) == {(*head, case.room)}
    steps = kept()["StepCount"]
    assert steps[(*head, "sign_out", "Specimens labelled")] == (5, 0, 0, 1)  # still pending
    assert steps[(*head, "procedure", "Wound closed")] == (4, 1, 0, 0)
    assert kept()["ImplantSideCount"] == {(*head, "left"): (2, 1)}
    assert kept()["ImplantProductCount"] == {(*head, "", "iFuse-3D"): (3, 1)}
    assert kept() == recount()


def test_cancelling_counts_the_case_as_cancelled_and_nothing_else(procedure, nurse, surgeon):
    case = make_case(procedure, actor=nurse, surgeon=surgeon)
    record(case, "Identity confirmed", nurse)

    workflow.cancel(actor=nurse, case_id=case.pk, reason="Patient unwell")
    workflow.cancel(actor=nurse, case_id=case.pk, reason="Patient unwell")  # changes nothing

    assert [(row.signed_out, row.cancelled) for row in CaseCount.objects.all()] == [(0, 1)]
    assert not StepCount.objects.exists()
    assert kept() == recount()


def test_an_amendment_moves_the_step_between_counts(procedure, nurse, surgeon):
    case = signed_out(procedure, nurse=nurse, surgeon=surgeon)
    amend_incision(case, surgeon)  # a new value, the same status: no count moves
    specimens = case.steps.get(title="Specimens labelled")

    workflow.amend(
        actor=surgeon,
        case_id=case.pk,
        step_id=specimens.pk,
        answer=workflow.Answer(status=StepStatus.NOT_APPLICABLE, na_reason="No specimen"),
        revision=specimens.revision,
        reason="Recorded late",
        password=PASSWORD,
    )

    row = StepCount.objects.get(title="Specimens labelled")
    assert (row.done, row.not_applicable, row.pending) == (0, 1, 0)
    assert kept() == recount()


def test_reviewing_a_case_leaves_the_counts_as_they_are(procedure, nurse, surgeon, reviewer):
    case = signed_out(procedure, nurse=nurse, surgeon=surgeon)
    before = kept()

    workflow.mark_reviewed(actor=reviewer, case_id=case.pk)

    assert kept() == before == recount()


def test_generated_history_is_counted_as_the_workflow_counts(procedure, nurse, surgeon):
    bulk.generate(count=120, seed=41)
    signed_out(procedure, nurse=nurse, surgeon=surgeon)

    counts = kept()
    assert sum(row[0] for row in counts["CaseCount"].values()) > 100
    assert sum(row[1] for row in counts["CaseCount"].values()) > 0  # some were cancelled
    assert counts == recount()


def test_rebuild_counts_every_closed_case_again(procedure, nurse, surgeon):
    bulk.generate(count=60, seed=42)
    signed_out(procedure, nurse=nurse, surgeon=surgeon)
    expected = kept()
    StepCount.objects.all().delete()
    CaseCount.objects.update(signed_out=7)

    out = StringIO()
    call_command("rebuild_case_counts", stdout=out)

    assert kept() == expected == recount()
    assert "closed cases again" in out.getvalue()


def test_the_migration_counts_the_cases_already_there_as_the_workflow_does(
    procedure, nurse, surgeon
):
    bulk.generate(count=60, seed=43)
    signed_out(procedure, nurse=nurse, surgeon=surgeon)
    expected = kept()
    for model in summary.SUMMARY_MODELS:
        model.objects.all().delete()
    editor = SimpleNamespace(connection=connection)
    importlib.import_module("checklists.migrations.0035_case_counts").count_closed_cases(
        apps, editor
    )
    importlib.import_module(
        "checklists.migrations.0042_spread_and_quality_counts"
    ).count_signed_cases(apps, editor)

    assert kept() == expected
    assert ImplantSideCount.objects.exists() and ImplantProductCount.objects.exists()
    assert QualityCount.objects.exists() and SpreadCount.objects.exists()


def test_an_amendment_of_a_case_never_counted_says_to_rebuild(procedure, nurse, surgeon):
    case = signed_out(procedure, nurse=nurse, surgeon=surgeon)
    StepCount.objects.all().delete()
    specimens = case.steps.get(title="Specimens labelled")

    with pytest.raises(RuntimeError, match="rebuild_case_counts"):
        workflow.amend(
            actor=surgeon,
            case_id=case.pk,
            step_id=specimens.pk,
            answer=workflow.Answer(status=StepStatus.DONE),
            revision=specimens.revision,
            reason="Recorded late",
            password=PASSWORD,
        )


def test_an_amendment_that_moves_the_time_out_moves_its_measure(procedure, nurse, surgeon):
    case = signed_out(procedure, nurse=nurse, surgeon=surgeon)
    gap = ("time_out_to_incision",)
    assert [key[3:] for key in kept()["SpreadCount"] if key[3:4] == gap] == [(*gap, 0)]
    incision = case.steps.get(title="Skin incision made")

    workflow.amend(  # no incision done: no Time Out to incision to measure
        actor=surgeon,
        case_id=case.pk,
        step_id=incision.pk,
        answer=workflow.Answer(status=StepStatus.NOT_APPLICABLE, na_reason="Percutaneous"),
        revision=incision.revision,
        reason="No skin incision in this approach",
        password=PASSWORD,
    )

    assert [key for key in kept()["SpreadCount"] if key[3:4] == gap] == []
    assert SpreadCount.objects.get(measure="time_out_to_incision").cases == 0  # moved away
    assert kept() == recount()


def test_an_amendment_that_moves_the_time_out_moves_its_count_to_the_new_minutes(
    procedure, nurse, surgeon
):
    case = signed_out(procedure, nurse=nurse, surgeon=surgeon)
    # As if the Time Out had ended ten minutes before the incision: the steps' time and the
    # case's column moved back, and the counts counted again from the cases.
    earlier = case.incision_at - datetime.timedelta(minutes=10)
    case.steps.filter(phase="time_out").update(recorded_at=earlier)
    Case.objects.filter(pk=case.pk).update(time_out_at=earlier)
    summary.rebuild()

    def gaps() -> dict:
        return {k[4]: n for k, n in kept()["SpreadCount"].items() if k[3] == "time_out_to_incision"}

    assert gaps() == {10: 1}
    team = case.steps.get(title="Team introduced")

    workflow.amend(  # recorded now, so the Time Out ends now: after the incision
        actor=surgeon,
        case_id=case.pk,
        step_id=team.pk,
        answer=workflow.Answer(status=StepStatus.NOT_APPLICABLE, na_reason="Not done"),
        revision=team.revision,
        reason="The team was not introduced",
        password=PASSWORD,
    )

    assert gaps() == {0: 1}  # moved from 10 minutes to none (a few milliseconds)
    assert kept() == recount()
