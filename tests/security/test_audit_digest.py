"""The daily digest of chain heads, kept outside the system, and ``verify_audit --digest``.

Someone who holds the audit key can rewrite a case's history so that its chain verifies and
its rows replay (shown below: ``verify_audit`` alone passes). A digest printed before the
rewrite and kept elsewhere still catches it: the event at the kept sequence number no longer
has the kept hash. The digest's own MAC catches an edited digest file.
"""

import datetime
import math
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from checklists.audit import verify_audit
from checklists.audit.digest import FORMAT, check_digest, write_digest
from checklists.choices import AuditAction
from checklists.management.commands.audit_digest import Command as AuditDigest
from checklists.models import AuditEvent, Case, CaseStep
from tests.conftest import record, tamper
from tests.security.conftest import APPROACH, HARD_STOP, World, reseal_chain, set_payload


@pytest.fixture
def world(module_world: World, db) -> World:
    return module_world


def print_digest(path: Path) -> Path:
    out = StringIO()
    call_command("audit_digest", stdout=out, stderr=StringIO())
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@pytest.fixture
def kept(world, tmp_path) -> Path:
    """Today's digest, as kept outside the system."""
    return print_digest(tmp_path / "digest.txt")


def verify_with(digest: Path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("verify_audit", "--digest", str(digest), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def failing_with(digest: Path) -> str:
    err = StringIO()
    with pytest.raises(CommandError, match="does not verify"):
        call_command("verify_audit", "--digest", str(digest), stdout=StringIO(), stderr=err)
    return err.getvalue()


def test_the_digest_lists_every_case_head_and_counts_with_a_mac(kept):
    lines = kept.read_text().splitlines()
    cases = list(Case.objects.order_by("pk"))
    assert lines[0] == FORMAT
    assert lines[1].startswith("date: ") and lines[2] == f"key: {django_settings.AUDIT_KEY_ID}"
    assert lines[3 : 3 + len(cases)] == [f"case {c.pk} {c.audit_seq} {c.audit_head}" for c in cases]
    assert lines[-3:-1] == [f"cases: {len(cases)}", f"events: {sum(c.audit_seq for c in cases)}"]
    assert lines[-1].startswith("mac: ") and len(lines[-1]) == len("mac: ") + 64
    assert not [c.patient_mrn for c in cases if c.patient_mrn in kept.read_text()]


def test_a_kept_digest_verifies_and_keeps_verifying_as_chains_grow(world, kept):
    out, err = verify_with(kept)
    assert "5 kept heads checked, 0 no longer in their chains" in out
    assert err == ""

    record(world.scheduled, HARD_STOP, world.nurse)  # chains only grow

    out, _ = verify_with(kept)
    assert out.rstrip().endswith("no breaks; the live rows match their chains.")


def test_a_history_rewritten_with_the_key_passes_alone_but_not_against_the_digest(world, tmp_path):
    record(world.in_progress, APPROACH, world.surgeon, value="Lateral")
    kept = print_digest(tmp_path / "digest.txt")
    case = world.in_progress
    approach = case.steps.get(title=APPROACH)
    event = AuditEvent.objects.get(case=case, step=approach, action=AuditAction.STEP_RECORDED)
    set_payload(event, "after", {**event.after, "value": "Posterior"})
    tamper(CaseStep, "UPDATE {table} SET value = 'Posterior' WHERE id = %s", approach.pk)
    reseal_chain(case)
    assert verify_audit().ok  # the chain and the rows agree: only the digest knows better

    printed = failing_with(kept)

    case.refresh_from_db()
    assert f"DIGEST Case {case.pk}: its event #{case.audit_seq} no longer has the hash" in printed
    assert "the chain was rewritten" in printed
    assert printed.count("DIGEST") == 1


def test_a_chain_cut_back_with_the_key_is_caught_by_the_digest(world, kept):
    case = world.completed
    newest = AuditEvent.objects.filter(case=case).latest("seq")
    tamper(AuditEvent, "DELETE FROM {table} WHERE id = %s", newest.pk)
    tamper(Case, "UPDATE {table} SET audit_seq = audit_seq - 1 WHERE id = %s", case.pk)
    reseal_chain(case)

    printed = failing_with(kept)

    assert f"DIGEST Case {case.pk}: the digest kept its event #{newest.seq}, which is gone" in (
        printed
    )


def test_an_edited_digest_fails_its_own_mac(world, kept):
    case = world.completed
    text = kept.read_text()
    forged = AuditEvent.objects.filter(case=case).order_by("seq")[0]
    edited = text.replace(
        f"case {case.pk} {case.audit_seq} {case.audit_head}", f"case {case.pk} 1 {forged.hash}"
    )
    assert edited != text
    kept.write_text(edited)

    printed = failing_with(kept)

    assert "DIGEST the digest's own MAC does not match" in printed
    assert f"Case {case.pk}" not in printed  # the kept (edited) head is in the chain


def test_a_digest_with_a_line_removed_fails_its_counts(world, kept):
    lines = kept.read_text().splitlines(keepends=True)
    kept.write_text("".join(lines[:3] + lines[4:]))
    printed = failing_with(kept)
    assert "the digest says 5 cases and" in printed and "but lists 4" in printed


def test_a_digest_under_a_key_the_server_no_longer_holds_cannot_prove_itself(world, kept):
    with override_settings(AUDIT_KEYS={"2031-01": b"a later key, 32 characters or so"}):
        verdict = check_digest(kept.read_text().splitlines(keepends=True))
    assert verdict.mismatches == []
    assert verdict.problems == [
        f"the digest's MAC is under the audit key {django_settings.AUDIT_KEY_ID!r}, which this "
        "server does not hold: the file itself cannot be proven"
    ]


def test_a_digest_sealed_before_a_key_rotation_still_verifies(world, kept):
    rotated = {"2031-01": b"the new key, put first: it seals", **django_settings.AUDIT_KEYS}
    with override_settings(AUDIT_KEYS=rotated, AUDIT_KEY_ID="2031-01"):
        out, _ = verify_with(kept)
    assert "0 no longer in their chains" in out


def test_a_digest_written_with_carriage_returns_still_verifies(world, kept):
    kept.write_bytes(kept.read_bytes().replace(b"\n", b"\r\n"))
    out, _ = verify_with(kept)
    assert "5 kept heads checked" in out


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda lines: [], "is empty or cut short"),
        (lambda lines: ["Some other file\n", *lines[1:]], "line 1 of the digest should begin"),
        (lambda lines: lines[:-1], "no 'mac:' line"),
        (lambda lines: [*lines[:3], "case 1 one 2\n", *lines[3:]], "is not 'case <id>"),
        (lambda lines: [*lines[:3], "case x 1 " + "a" * 64 + "\n", *lines[3:]], "'x' where a"),
        (lambda lines: [*lines, "case 1 1 " + "a" * 64 + "\n"], "goes on after its 'mac:'"),
    ],
    ids=["empty", "not a digest", "no mac", "short line", "not a number", "after the mac"],
)
def test_a_file_that_is_not_a_digest_is_refused_with_a_message(kept, damage, message):
    kept.write_text("".join(damage(kept.read_text().splitlines(keepends=True))))
    with pytest.raises(CommandError, match="The digest cannot be read: .*" + message):
        call_command("verify_audit", "--digest", str(kept), stdout=StringIO())


def test_a_missing_digest_file_is_refused_with_a_message(world, tmp_path):
    with pytest.raises(CommandError, match="The digest cannot be read"):
        call_command("verify_audit", "--digest", str(tmp_path / "none.txt"), stdout=StringIO())


def test_the_help_documents_the_format_as_written():
    text = AuditDigest().create_parser("manage.py", "audit_digest").format_help()
    assert "\n    case 17 12 3f5a0c...\n    case 18 3 9b21e4...\n" in text
    assert "case <id> <seq> <hash>" in text and "HMAC-SHA-256" in text


# --- queries ---------------------------------------------------------------------------------


def test_printing_a_digest_reads_the_cases_once(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        counts = write_digest(lambda line: None, now=datetime.datetime.now(tz=datetime.UTC))
    assert counts.cases == Case.objects.count()


@pytest.mark.parametrize("batch_size", [1, 2, 500])
def test_checking_a_digest_costs_one_query_per_batch_of_heads(
    kept, batch_size, django_assert_num_queries
):
    lines = kept.read_text().splitlines(keepends=True)
    cases = Case.objects.count()
    with django_assert_num_queries(math.ceil(cases / batch_size)):
        verdict = check_digest(lines, batch_size=batch_size)
    assert verdict.ok and verdict.kept == cases
