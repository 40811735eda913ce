"""Migration 0039 stores the quality facts of cases closed before the workflow did.

It runs ``checklists.quality.store_quality`` on the migration's historical models; these tests
run it through Django's migration executor on cases whose facts the workflow and the bulk
generator stored, cleared first, and compare.
"""

from checklists import bulk, quality, workflow
from checklists.models import CaseQuality
from tests.checklists.conftest import migrate, migrate_to_latest
from tests.conftest import PASSWORD, make_case, make_procedure, record, time_out_team

BEFORE = ("checklists", "0038_case_quality")
STEPS = (
    {"title": "Identity confirmed", "phase": "sign_in", "hard_stop": True},
    {"title": "Team introduced", "phase": "time_out", "gates_later_phases": True},
    {"title": "Skin incision made", "milestone": "incision"},
)
ALL_WELL = workflow.Attestation(all_items_spoken=True, everyone_present=False, interruptions=1)


def backfill_again() -> None:
    """Clear every case's facts, then run the backfill as ``migrate`` would."""
    CaseQuality.objects.all().delete()
    try:
        migrate(BEFORE)  # the way back does nothing: the table stays
    finally:
        migrate_to_latest()


def facts() -> dict[int, tuple]:
    rows = CaseQuality.objects.values_list("case_id", *quality.QUALITY_FIELDS)
    return {row[0]: row[1:] for row in rows}


def test_it_stores_what_the_workflow_and_the_generator_store(reference_data, nurse, scrub, surgeon):
    procedure = make_procedure(*STEPS)
    signed = make_case(procedure, actor=nurse, surgeon=surgeon)
    record(signed, "Identity confirmed", nurse)
    started = workflow.start_time_out(actor=nurse, case_id=signed.pk)
    record(signed, "Team introduced", nurse)
    workflow.end_time_out(
        actor=nurse,
        case_id=signed.pk,
        time_out_id=started.pk,
        team=time_out_team(signed, scrub=False),
        attestation=ALL_WELL,
    )
    record(signed, "Skin incision made", surgeon)
    workflow.sign_out(actor=surgeon, case_id=signed.pk, password=PASSWORD)
    cancelled = make_case(procedure, actor=nurse, surgeon=surgeon)
    workflow.raise_concern(actor=scrub, case_id=cancelled.pk, reason="Wrong patient list")
    workflow.cancel(actor=nurse, case_id=cancelled.pk, reason="Not on today's list")
    open_case = make_case(procedure, actor=nurse, surgeon=surgeon)
    bulk.generate(count=40, seed=3)
    kept = facts()
    assert kept[signed.pk][quality.QUALITY_FIELDS.index("scrub_present")] is False
    assert kept[cancelled.pk][quality.QUALITY_FIELDS.index("stops")] == 1

    backfill_again()

    assert facts() == kept
    assert open_case.pk not in kept


def test_it_runs_on_a_database_without_cases(transactional_db):
    backfill_again()

    assert not CaseQuality.objects.exists()
