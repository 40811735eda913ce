"""``verify_audit`` replays each case's chain and checks the live rows against it.

The chain alone proves its events; it says nothing of a row changed behind them. Here the
rows are changed in raw SQL (``tests.conftest.tamper``, as a table's owner could, the
append-only trigger disabled on PostgreSQL): a signed step's value or revision, a step no
event touched, the patient's name or MRN, the case's status or room, a signature deleted or
its content hash changed, an implant deleted, slipped in or its lot changed. Each time
``verify_audit`` fails and names the case and its first difference in words, and prints no
patient identity and no free text. The chains themselves are untouched throughout: before
the replay, every one of these "verified".
"""

import math
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from checklists import workflow
from checklists.audit import verify_audit, verify_chains
from checklists.audit.fold import FOLD
from checklists.audit.replay import IDENTITY_SEALED_SINCE
from checklists.choices import AuditAction, SignatureMeaning
from checklists.models import AuditEvent, Case, CaseStep, Implant, Signature
from tests.conftest import make_case, record, tamper
from tests.security.conftest import (
    COUNTS,
    HARD_STOP,
    INCISION,
    SPECIMENS,
    World,
    reseal_chain,
    set_payload,
)

IDENTITIES = ("MRN0042", "Pat Example", "1961-03-14", "MRN0099", "Olive Other")


def failing_verification() -> str:
    """What ``manage.py verify_audit`` prints on stderr, having failed as it must."""
    stderr = StringIO()
    with pytest.raises(CommandError, match="does not verify"):
        call_command("verify_audit", stdout=StringIO(), stderr=stderr)
    return stderr.getvalue()


def assert_named(expected: str) -> None:
    """``verify_audit`` finds exactly this difference, and the command prints it, with no
    patient identity anywhere in what it prints; the chains alone still verify."""
    printed = failing_verification()
    assert f"DIFFERS {expected}\n" in printed
    assert not [identity for identity in IDENTITIES if identity in printed]
    assert [str(difference) for difference in verify_audit().differences] == [expected]
    assert verify_chains().ok


def step(case: Case, title: str, side: str = "") -> CaseStep:
    return case.steps.get(title=title, side=side)


@pytest.fixture
def world(module_world: World, db) -> World:
    return module_world


# --- the untouched world ---------------------------------------------------------------------


def test_an_untouched_world_verifies_chains_and_rows(world):
    verdict = verify_audit()
    assert verdict.ok, [str(problem) for problem in verdict.problems]
    assert (verdict.cases, verdict.identity_unsealed) == (Case.objects.count(), 0)
    out = StringIO()
    call_command("verify_audit", stdout=out, stderr=StringIO())
    assert out.getvalue().endswith("no breaks; the live rows match their chains.\n")


def test_every_action_has_its_fold():
    assert set(FOLD) == set(AuditAction.values)


# --- steps -----------------------------------------------------------------------------------


def test_a_signed_steps_value_changed_in_sql_is_named(world):
    incision = step(world.completed, INCISION)
    tamper(CaseStep, "UPDATE {table} SET value = %s WHERE id = %s", "5", incision.pk)
    assert_named(
        f"Case {world.completed.pk}, step '{INCISION}': the chain says value '4', the row says '5'"
    )


def test_a_steps_revision_changed_in_sql_is_named(world):
    incision = step(world.completed, INCISION)
    tamper(CaseStep, "UPDATE {table} SET revision = 2 WHERE id = %s", incision.pk)
    assert_named(
        f"Case {world.completed.pk}, step '{INCISION}': the chain says revision 1, the row says 2"
    )


def test_whom_a_step_was_recorded_for_changed_in_sql_is_named(world):
    incision = step(world.completed, INCISION)  # a nurse's step, recorded by the surgeon
    assert incision.recorded_for == "nurse"
    tamper(CaseStep, "UPDATE {table} SET recorded_for = '' WHERE id = %s", incision.pk)
    assert_named(
        f"Case {world.completed.pk}, step '{INCISION}': the chain says recorded for (role) "
        "'nurse', the row says ''"
    )


def overridden_counts(world: World) -> CaseStep:
    """The ready case's counts answered "no" (a Stop), then overridden by its surgeon."""
    stop = record(world.ready, COUNTS, world.nurse, value="no")
    return workflow.override_stop(
        actor=world.surgeon,
        case_id=world.ready.pk,
        step_id=stop.pk,
        revision=stop.revision,
        reason="Recounted by two nurses",
    )


def test_a_stops_override_is_replayed_and_cleared_with_a_changed_answer(world):
    overridden_counts(world)
    assert verify_audit().ok
    record(world.ready, COUNTS, world.nurse, value="yes")  # the answer changes: no override
    assert not step(world.ready, COUNTS).stop_overridden
    assert verify_audit().ok


def test_a_stops_override_changed_in_sql_is_named(world):
    overridden = overridden_counts(world)
    sql = "UPDATE {table} SET stop_override_reason = %s WHERE id = %s"
    tamper(CaseStep, sql, "Nobody asked", overridden.pk)
    assert_named(
        f"Case {world.ready.pk}, step '{COUNTS}': its reason for overriding its Stop is not "
        "what the chain says (free text, not shown here)"
    )


def test_a_stops_override_removed_in_sql_is_named(world):
    overridden = overridden_counts(world)
    sql = "UPDATE {table} SET stop_overridden_by_id = NULL WHERE id = %s"
    tamper(CaseStep, sql, overridden.pk)
    assert_named(
        f"Case {world.ready.pk}, step '{COUNTS}': the chain says Stop overridden by (user id) "
        f"{world.surgeon.pk}, the row says nothing"
    )


def test_a_step_no_event_touched_must_be_pending_at_revision_0(world):
    identity = step(world.scheduled, HARD_STOP)
    tamper(
        CaseStep,
        "UPDATE {table} SET status = 'done', recorded_by_id = %s WHERE id = %s",
        world.nurse.pk,
        identity.pk,
    )
    assert_named(
        f"Case {world.scheduled.pk}, step '{HARD_STOP}': the chain says status 'pending', "
        "the row says 'done'"
    )


def test_a_changed_note_is_named_but_not_quoted(world):
    counts = step(world.completed, COUNTS)
    tamper(CaseStep, "UPDATE {table} SET note = %s WHERE id = %s", "Sponge missing", counts.pk)
    assert_named(
        f"Case {world.completed.pk}, step '{COUNTS}': its note is not what the chain says "
        "(free text, not shown here)"
    )
    assert "Sponge" not in failing_verification()


def test_a_step_deleted_in_sql_is_named_by_the_count_the_chain_keeps(world):
    specimens = step(world.completed, SPECIMENS)  # optional: no event ever touched it
    tamper(CaseStep, "DELETE FROM {table} WHERE id = %s", specimens.pk)
    assert_named(f"Case {world.completed.pk}: the chain says number of steps 7, the row says 6")


def test_a_signed_steps_title_changed_in_sql_breaks_the_signed_content(world):
    """No event holds a step's title; the signature's content hash does."""
    incision = step(world.completed, INCISION)
    tamper(CaseStep, "UPDATE {table} SET title = 'Incision' WHERE id = %s", incision.pk)
    assert_named(
        f"Case {world.completed.pk}: the rows no longer hash to the content its newest "
        "signature vouches for (a step's title, position or side, or the patient's identity, "
        "changed)"
    )


# --- the case --------------------------------------------------------------------------------

IDENTITY_CHANGED = (
    "the patient's identity (MRN, name or date of birth) is not the one the chain sealed "
    "when the case was scheduled"
)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("patient_name", "Pat Exampel"),
        ("patient_mrn", "MRN0043"),
        ("patient_birth_date", "1961-03-15"),
    ],
)
def test_the_patients_identity_changed_in_sql_is_named_without_showing_it(world, column, value):
    case = world.in_progress  # not signed: only the identity seal covers it
    tamper(Case, f"UPDATE {{table}} SET {column} = %s WHERE id = %s", value, case.pk)  # noqa: S608
    assert_named(f"Case {case.pk}: {IDENTITY_CHANGED}")
    assert value not in failing_verification()


def test_the_cases_status_changed_in_sql_is_named(world):
    case = world.completed
    tamper(Case, "UPDATE {table} SET status = 'in_progress' WHERE id = %s", case.pk)
    assert_named(f"Case {case.pk}: the chain says status 'completed', the row says 'in_progress'")


def test_the_cases_room_changed_in_sql_is_named(world):
    case = world.scheduled
    tamper(Case, "UPDATE {table} SET room = 'OR 9' WHERE id = %s", case.pk)
    assert_named(f"Case {case.pk}: the chain says room 'OR 1', the row says 'OR 9'")


# --- signatures ------------------------------------------------------------------------------


def signature_of(case: Case) -> Signature:
    return case.signatures.get(meaning=SignatureMeaning.SIGN_OUT)


def test_a_signature_deleted_in_sql_is_named(world):
    signature = signature_of(world.completed)
    tamper(Signature, "DELETE FROM {table} WHERE id = %s", signature.pk)
    assert_named(
        f"Case {world.completed.pk}, signature {signature.pk} (Case signed out by surgeon): "
        "the chain records it, but its row is gone"
    )


def test_a_signatures_content_hash_changed_in_sql_is_named(world):
    signature = signature_of(world.completed)
    forged = "0" * 64
    tamper(Signature, "UPDATE {table} SET content_hash = %s WHERE id = %s", forged, signature.pk)
    assert_named(
        f"Case {world.completed.pk}, signature {signature.pk} (Case signed out by surgeon): "
        f"the chain says content hash '{signature.content_hash}', the row says '{forged}'"
    )


# --- implants --------------------------------------------------------------------------------


def test_an_implant_deleted_in_sql_is_named(world):
    implant = world.implant
    tamper(Implant, "DELETE FROM {table} WHERE id = %s", implant.pk)
    assert_named(
        f"Case {world.in_progress.pk}, implant {implant.pk} (left side, position 1): "
        "the chain has it on the log, but its row is gone"
    )


def test_an_implants_lot_changed_in_sql_is_named(world):
    implant = world.implant
    tamper(Implant, "UPDATE {table} SET lot = 'L2' WHERE id = %s", implant.pk)
    assert_named(
        f"Case {world.in_progress.pk}, implant {implant.pk} (left side, position 1): "
        "the chain says lot 'L1', the row says 'L2'"
    )


def test_an_implants_read_back_removed_in_sql_is_named(world):
    implant = world.implant  # logged and read back by the nurse
    tamper(
        Implant,
        "UPDATE {table} SET read_back_by_id = NULL, read_back_at = NULL WHERE id = %s",
        implant.pk,
    )
    assert_named(
        f"Case {world.in_progress.pk}, implant {implant.pk} (left side, position 1): "
        f"the chain says read back by (user id) {world.nurse.pk}, the row says nothing"
    )


def test_an_implant_slipped_in_by_sql_is_named(world):
    model = world.implant
    tamper(
        Implant,
        "INSERT INTO {table} (case_id, side, position, manufacturer, product, size, lot, serial,"
        " gtin, udi, expiry_override_reason, added_by_id, added_at)"
        " VALUES (%s, 'right', 1, '', 'iFuse-3D', '', '', '', '', '', '', %s, %s)",
        world.in_progress.pk,
        world.nurse.pk,
        model.added_at,
    )
    slipped = Implant.objects.get(case=world.in_progress, side="right")
    assert_named(
        f"Case {world.in_progress.pk}, implant {slipped.pk} (right side, position 1): its row "
        "is on the log, but the chain never logged it (or logged its removal)"
    )


def test_how_an_implant_was_entered_changed_in_sql_is_named(world):
    implant = world.implant
    assert (implant.entry, implant.carrier) == ("manual", "")
    tamper(Implant, "UPDATE {table} SET entry = 'barcode' WHERE id = %s", implant.pk)
    assert_named(
        f"Case {world.in_progress.pk}, implant {implant.pk} (left side, position 1): "
        "the chain says entry (scanned or typed) 'manual', the row says 'barcode'"
    )


def test_a_reason_to_log_a_device_again_written_in_sql_is_named_not_quoted(world):
    implant = world.implant
    sql = "UPDATE {table} SET duplicate_override_reason = 'Said so' WHERE id = %s"
    tamper(Implant, sql, implant.pk)
    assert_named(
        f"Case {world.in_progress.pk}, implant {implant.pk} (left side, position 1): its reason "
        "for logging a device recorded in another case is not what the chain says (free text, "
        "not shown here)"
    )


def test_an_implant_logged_before_its_entry_was_kept_still_replays(world):
    """Its event has no ``entry`` or ``carrier`` (the JSON of earlier releases) and its row
    holds them empty, as the migration that added them left it."""
    implant = world.implant
    event = AuditEvent.objects.get(case=world.in_progress, action=AuditAction.IMPLANT_ADDED)
    old = {key: value for key, value in event.after.items() if key not in ("entry", "carrier")}
    set_payload(event, "after", old)
    reseal_chain(world.in_progress)
    tamper(Implant, "UPDATE {table} SET entry = '', carrier = '' WHERE id = %s", implant.pk)

    verdict = verify_audit()

    assert verdict.ok, [str(problem) for problem in verdict.problems]


# --- the verdict -----------------------------------------------------------------------------


def test_each_broken_case_is_named_once_and_counted(world):
    tamper(Implant, "UPDATE {table} SET lot = 'L2' WHERE id = %s", world.implant.pk)
    tamper(Case, "UPDATE {table} SET status = 'reviewed' WHERE id = %s", world.completed.pk)
    incision = step(world.completed, INCISION)
    tamper(CaseStep, "UPDATE {table} SET value = '5' WHERE id = %s", incision.pk)

    printed = failing_verification()

    assert printed.count(f"Case {world.completed.pk}") == 1  # its first difference only
    assert printed.count(f"Case {world.in_progress.pk}") == 1
    with pytest.raises(CommandError, match=r"2 of 5 cases broken \(0 by their chain, 2 by"):
        call_command("verify_audit", stdout=StringIO(), stderr=StringIO())


def test_a_case_whose_chain_is_broken_is_named_by_its_chain(world):
    first = AuditEvent.objects.filter(case=world.completed).order_by("seq").first()
    set_payload(first, "after", {"room": "OR 9"})
    tamper(Case, "UPDATE {table} SET room = 'OR 9' WHERE id = %s", world.completed.pk)

    verdict = verify_audit()

    assert [b.case_id for b in verdict.breaks] == [world.completed.pk]
    assert verdict.differences == []
    assert f"BROKEN Case {world.completed.pk}, event #1" in failing_verification()


def test_the_command_replays_only_the_cases_asked_for(world):
    tamper(Implant, "UPDATE {table} SET lot = 'L2' WHERE id = %s", world.implant.pk)
    out = StringIO()
    call_command("verify_audit", "--case", str(world.completed.pk), stdout=out)
    assert "verified: 1 cases" in out.getvalue()
    with pytest.raises(CommandError, match="1 of 1 cases broken"):
        call_command("verify_audit", "--case", str(world.in_progress.pk), stderr=StringIO())


# --- cases scheduled before the identity seal --------------------------------------------------


def without_identity_seal(case: Case) -> None:
    """Make ``case`` as a release before the seal made it: its ``case_created`` event without
    ``identity``, the chain sealed again under the key (as the application sealed it then)."""
    created = AuditEvent.objects.get(case=case, action=AuditAction.CASE_CREATED)
    set_payload(created, "after", {k: v for k, v in created.after.items() if k != "identity"})
    reseal_chain(case)


def test_an_older_case_without_identity_seal_is_counted_not_broken(world):
    without_identity_seal(world.scheduled)

    verdict = verify_audit()
    out = StringIO()
    call_command("verify_audit", stdout=out)

    assert verdict.ok and verdict.identity_unsealed == 1
    assert (
        f"1 of 5 cases: identity not covered by the chain (created before {IDENTITY_SEALED_SINCE})"
    ) in out.getvalue()
    # What "not covered" means: its identity can change unnoticed.
    tamper(Case, "UPDATE {table} SET patient_name = 'X' WHERE id = %s", world.scheduled.pk)
    assert verify_audit().ok


def test_an_older_signed_case_keeps_its_identity_under_its_signature(world):
    case = world.completed
    without_identity_seal(case)
    tamper(Case, "UPDATE {table} SET patient_mrn = 'MRN0043' WHERE id = %s", case.pk)
    assert_named(
        f"Case {case.pk}: the rows no longer hash to the content its newest signature vouches "
        "for (a step's title, position or side, or the patient's identity, changed)"
    )


# --- queries ---------------------------------------------------------------------------------


def queries_for(cases: int, batch_size: int) -> int:
    """Nine per batch (cases, events, steps, implants, signatures, Stops called, debrief
    actions, side disagreements, Time Outs), and one more query that finds no case when the
    last batch was full."""
    return 9 * math.ceil(cases / batch_size) + (cases % batch_size == 0)


@pytest.mark.parametrize("batch_size", [1, 2, 3, 200])
def test_the_replay_costs_nine_queries_a_batch_whatever_the_cases_hold(
    world, batch_size, django_assert_num_queries
):
    cases = Case.objects.count()
    with django_assert_num_queries(queries_for(cases, batch_size)):
        assert verify_audit(batch_size=batch_size).ok
    # More history in one case, and one more case: still nine queries a batch.
    record(world.scheduled, HARD_STOP, world.nurse)
    workflow.add_debrief_action(
        actor=world.nurse,
        case_id=world.scheduled.pk,
        what="Fix the lamp",
        due=timezone.localdate(),
        owner_role="nurse",
    )
    record(world.scheduled, INCISION, world.surgeon, value="3.5")
    make_case(world.procedure, actor=world.nurse, surgeon=world.surgeon)
    with django_assert_num_queries(queries_for(cases + 1, batch_size)):
        assert verify_audit(batch_size=batch_size).ok
