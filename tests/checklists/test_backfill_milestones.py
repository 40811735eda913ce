"""Migrations procedures 0003 and checklists 0013 mark the incision steps that existed before
the mark did, by the title rule compliance used until then (its last home)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from checklists import compliance, workflow
from checklists.models import Case, CaseStep
from procedures.models import Step
from tests.conftest import PASSWORD, make_case, make_procedure, record

BEFORE_CASE_STEPS = ("checklists", "0012_birth_date_not_in_the_future")
BEFORE_TEMPLATE_STEPS = ("procedures", "0002_seed_si_joint_fusion")

STEPS = (
    {"title": "Team introduced", "phase": "time_out"},
    {"title": "Skin incision made", "milestone": "incision", "per_side": True},
    {"title": "Wound closed"},
    {"title": "Incision dressed", "phase": "sign_out"},
)


def migrate_back_and_forth(*targets: tuple[str, str]) -> None:
    """Back to ``targets`` (the mark's columns go), then to the latest migrations again."""
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(list(targets))
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def marks(model) -> dict[tuple[str, str], set[str]]:
    found: dict[tuple[str, str], set[str]] = {}
    for phase, title, milestone in model.objects.values_list("phase", "title", "milestone"):
        found.setdefault((phase, title), set()).add(milestone)
    return found


@pytest.fixture
def signed(reference_data, nurse, surgeon) -> Case:
    """A bilateral case signed out, so with its incision time stored."""
    case = make_case(make_procedure(*STEPS), actor=nurse, surgeon=surgeon, laterality="bilateral")
    record(case, "Team introduced", nurse)
    record(case, "Skin incision made", surgeon, side="right")
    record(case, "Skin incision made", surgeon, side="left")
    record(case, "Wound closed", surgeon)
    record(case, "Incision dressed", nurse)
    workflow.sign_out(actor=surgeon, case_id=case.pk, password=PASSWORD)
    return case


def test_incision_steps_are_marked_again_and_closed_cases_keep_their_incision_time(
    signed,
):
    # One trip back past both migrations and forward again: each trip replays some forty
    # migrations of every app, the costliest thing the suite does, so the three checks share it.
    stored = Case.objects.get(pk=signed.pk).incision_at
    assert stored is not None
    CaseStep.objects.update(milestone="")  # as the steps were before the mark
    Step.objects.update(milestone="")

    migrate_back_and_forth(BEFORE_CASE_STEPS, BEFORE_TEMPLATE_STEPS)

    assert marks(CaseStep) == {
        ("time_out", "Team introduced"): {""},
        ("procedure", "Skin incision made"): {"incision"},
        ("procedure", "Wound closed"): {""},
        ("sign_out", "Incision dressed"): {""},
    }
    assert compliance.case_compliance(case_id=signed.pk).incision_at == stored
    marked = Step.objects.filter(milestone="incision", version__status="published")
    assert sorted(marked.values_list("version__procedure__slug", "title")) == [
        ("si-fusion-minimally-invasive", "Lateral buttock incision made"),
        ("si-fusion-open", "Lower back incision made; SI joint exposed"),
        ("test-procedure", "Skin incision made"),
    ]
    assert marks(Step)["sign_out", "Incision dressed"] == {""}


def test_a_server_still_on_the_code_before_the_mark_can_create_case_steps(signed):
    """During a rolling deploy, servers not yet updated insert case steps without naming the
    new column: the database gives it its default, no mark."""
    step = signed.steps.get(title="Wound closed")
    columns = [
        field.column
        for field in CaseStep._meta.concrete_fields
        if not field.primary_key and field.name not in ("milestone", "position")
    ]
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO checklists_casestep ({names}, position) "  # noqa: S608
            f"SELECT {names}, 99 FROM checklists_casestep WHERE id = %s",
            [step.pk],
        )
    assert signed.steps.get(position=99).milestone == ""
