# ruff: noqa: S608 -- raw SQL on purpose (that is the tampering); the table name is a constant.
"""Whatever is done to the audit trail behind the application's back, ``verify_audit`` sees it.

The trail is a real one, made through the workflow: a case scheduled, worked through with
implants, signed out, refused a signature once, amended and reviewed, beside other cases.
Hypothesis then tampers with it in raw SQL, as someone with database access could: one
field of one event changed (action, before, after, actor, created_at, step, remote_addr,
user agent, its own or its predecessor's hash, its number), an event deleted (in the
middle, or the last one), two events' numbers swapped, or a forged event slipped in with a
plausible hash (appended after the last, or inserted in the middle with the later events
renumbered). Every time, ``checklists.audit.verify_chains`` reports a break in that case and
only that case, and ``manage.py verify_audit`` fails naming it.

On PostgreSQL a trigger refuses UPDATE and DELETE on the audit table; ``behind_the_back``
disables it around the tampering, as the table's owner could, and every example's savepoint
is rolled back afterwards.

The hashes are HMACs under an audit key the attacker does not hold (``AUDIT_KEYS``, outside
the database): forgeries are sealed the way the application seals events, with the project's
own ``compute_hash``, but under a key of the attacker's own. So even someone who rewrites the
whole rest of a chain *and* the case's recorded head is caught. Out of reach by design: someone
who also holds the audit key; the daily digest of chain heads kept outside the system is the
answer to that.
"""

import datetime
import json
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

from checklists import workflow
from checklists.audit import verify_chains
from checklists.choices import AuditAction, StepStatus
from checklists.errors import SignatureRefused
from checklists.models import AuditEvent, Case
from tests.conftest import PASSWORD
from tests.examples import examples
from tests.security.conftest import INCISION, World, rolled_back

TABLE = AuditEvent._meta.db_table


def attackers_keys() -> dict[str, bytes]:
    """What someone with database access but without the audit key seals forgeries with: a key
    of their own under the real key's id."""
    return {django_settings.AUDIT_KEY_ID: b"a guess at the key, as long as the real one"}


FIELDS = (
    "action",
    "before",
    "after",
    "actor",
    "created_at",
    "step",
    "remote_addr",
    "user_agent",
    "prev_hash",
    "hash",
    "seq",
    "key_id",
)
TAMPER = settings(
    max_examples=examples(40),  # per kind of tampering: 16 kinds
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@contextmanager
def behind_the_back() -> Iterator[Any]:
    """A cursor that writes to the audit table as its owner could: on PostgreSQL with the
    table's own triggers (the append-only guard) disabled, and enabled again afterwards."""
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgresql:
            # ALTER TABLE refuses to run while deferred foreign-key checks are pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
        try:
            yield cursor
        finally:
            if postgresql:
                cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def json_placeholder() -> str:
    return "%s::jsonb" if connection.vendor == "postgresql" else "%s"


def column(field: str) -> str:
    return f"{field}_id" if field in ("actor", "step", "case") else field


# --- the trail -------------------------------------------------------------------------------


@pytest.fixture
def trail(world: World) -> World:
    """The world's signed-out case, given a refused signature, an amendment and a review."""
    case, surgeon = world.completed, world.surgeon
    incision = case.steps.get(title=INCISION)
    with pytest.raises(SignatureRefused):
        workflow.amend(
            actor=surgeon,
            case_id=case.pk,
            step_id=incision.pk,
            answer=workflow.Answer(status=StepStatus.DONE, value="4.5"),
            revision=incision.revision,
            reason="Measured again",
            password="not-the-password",
        )
    workflow.amend(
        actor=surgeon,
        case_id=case.pk,
        step_id=incision.pk,
        answer=workflow.Answer(status=StepStatus.DONE, value="4.5"),
        revision=incision.revision,
        reason="Measured again",
        password=PASSWORD,
        context=workflow.RequestContext(remote_addr="10.0.0.7", user_agent="Ward tablet 7"),
    )
    workflow.mark_reviewed(actor=world.reviewer, case_id=case.pk, comment="Fine")
    actions = set(AuditEvent.objects.filter(case=case).values_list("action", flat=True))
    assert {AuditAction.SIGNATURE_REFUSED, AuditAction.STEP_AMENDED} <= actions
    assert verify_chains().ok
    return world


# --- ways to tamper --------------------------------------------------------------------------

KINDS = [
    *(("change", field) for field in FIELDS),
    ("delete", "middle"),
    ("delete", "last"),
    ("swap", "seq"),
    ("insert", "end"),
    ("insert", "middle"),
]

# What a database holds: PostgreSQL refuses NUL in text and in jsonb, and surrogates anywhere.
TEXT = st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=30)
JSON_VALUES = st.one_of(
    st.none(),
    st.dictionaries(st.sampled_from(["status", "value", "reason", "note"]), TEXT),
    st.integers(min_value=-(2**53), max_value=2**53),
    TEXT,
)


def events_of(case: Case) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(case=case).order_by("seq"))


def change_field(world: World, event: AuditEvent, field: str, data: st.DataObject) -> None:
    """Set one column of ``event`` to a different value, as plausible as can be."""
    if field in ("before", "after"):
        current = getattr(event, field)
        if isinstance(current, dict) and current and data.draw(st.booleans(), label="edit"):
            key = data.draw(st.sampled_from(sorted(current)), label="key")
            value = data.draw(JSON_VALUES, label="value")
            new = {**current, key: value}
        else:
            new = data.draw(JSON_VALUES, label="new json")
        assume(new != current)
        sql, params = f"{field} = {json_placeholder()}", [json.dumps(new)]
        if new is None:
            sql, params = f"{field} = NULL", []
    elif field == "action":
        new = data.draw(st.sampled_from([a for a in AuditAction.values if a != event.action]))
        sql, params = "action = %s", [new]
    elif field == "actor":
        others = [user.pk for user in world.people.values() if user.pk != event.actor_id]
        sql, params = "actor_id = %s", [data.draw(st.sampled_from(others), label="actor")]
    elif field == "created_at":
        shift = data.draw(
            st.one_of(
                st.timedeltas(
                    min_value=datetime.timedelta(days=-3), max_value=datetime.timedelta(days=3)
                ),
                st.sampled_from([datetime.timedelta(microseconds=1)]),
            ),
            label="shift",
        )
        assume(shift)
        moved = connection.ops.adapt_datetimefield_value(event.created_at + shift)
        sql, params = "created_at = %s", [moved]
    elif field == "step":
        steps = [None, *event.case.steps.values_list("pk", flat=True), world.other_step.pk]
        new = data.draw(st.sampled_from([s for s in steps if s != event.step_id]), label="step")
        sql, params = ("step_id = NULL", []) if new is None else ("step_id = %s", [new])
    elif field == "remote_addr":
        new = data.draw(st.sampled_from([None, "10.0.0.8", "127.0.0.1", "::1", "192.0.2.1"]))
        assume(new != event.remote_addr)
        sql, params = ("remote_addr = NULL", []) if new is None else ("remote_addr = %s", [new])
    elif field == "user_agent":
        new = data.draw(TEXT, label="user agent")
        assume(new != event.user_agent)
        sql, params = "user_agent = %s", [new]
    elif field in ("hash", "prev_hash"):
        current = getattr(event, field)
        position = data.draw(st.integers(0, 63), label="position")
        digit = data.draw(st.sampled_from("0123456789abcdef"), label="digit")
        new = (current or "0" * 64)[:position] + digit + (current or "0" * 64)[position + 1 :]
        assume(new != current)
        sql, params = f"{field} = %s", [new]
    elif field == "key_id":
        new = data.draw(st.sampled_from(["", "2025-old", "forged"]), label="key id")
        sql, params = "key_id = %s", [new]
    else:  # seq: a number no other event of the case has
        taken = set(event.case.audit_events.values_list("seq", flat=True))
        free = st.integers(0, 10**6).map(lambda n: n if n not in taken else max(taken) + 1 + n)
        new = data.draw(free, label="seq")
        sql, params = "seq = %s", [new]
    note(f"UPDATE {field} of event #{event.seq}: {params}")
    with behind_the_back() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET {sql} WHERE id = %s", [*params, event.pk])


def insert_forgery(case: Case, where: str, pick: int) -> None:
    """A forged event whose hash is computed exactly as the application computes one."""
    events = events_of(case)
    if where == "end":
        after = events[-1]
        seq = after.seq + 1
    else:
        after = events[pick % (len(events) - 1)]
        seq = after.seq + 1
        with behind_the_back() as cursor:  # make room: renumber the later events, last first
            for later in reversed([e for e in events if e.seq >= seq]):
                cursor.execute(
                    f"UPDATE {TABLE} SET seq = %s WHERE id = %s", [later.seq + 1, later.pk]
                )
    forged = AuditEvent(
        case=case,
        seq=seq,
        step=None,
        actor_id=after.actor_id,
        action=AuditAction.REVIEWED,
        before=None,
        after={"comment": "All in order"},
        created_at=after.created_at + datetime.timedelta(seconds=1),
        remote_addr=None,
        user_agent="",
        prev_hash=after.hash,
    )
    with override_settings(AUDIT_KEYS=attackers_keys()):
        forged.hash = forged.compute_hash()
    created_at = connection.ops.adapt_datetimefield_value(forged.created_at)
    note(f"INSERT a forged event #{seq} after #{after.seq}")
    with behind_the_back() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (case_id, seq, step_id, actor_id, action, before, after,"
            f" created_at, remote_addr, user_agent, prev_hash, hash, key_id)"
            f" VALUES (%s, %s, NULL, %s, %s, NULL, {json_placeholder()}, %s, NULL, '', %s, %s,"
            " %s)",
            [
                case.pk,
                seq,
                forged.actor_id,
                forged.action,
                json.dumps(forged.after),
                created_at,
                forged.prev_hash,
                forged.hash,
                forged.key_id,
            ],
        )


def tamper(world: World, case: Case, kind: str, what: str, data: st.DataObject) -> None:
    pick = data.draw(st.integers(0, 10**6), label="which event")
    other = data.draw(st.integers(0, 10**6), label="which other event")
    events = events_of(case)
    if kind == "change":
        change_field(world, events[pick % len(events)], what, data)
    elif kind == "delete":
        victim = events[-1] if what == "last" else events[1 + pick % (len(events) - 2)]
        note(f"DELETE event #{victim.seq} of {len(events)}")
        with behind_the_back() as cursor:
            cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [victim.pk])
    elif kind == "swap":
        first = events[pick % len(events)]
        second = events[(pick + 1 + other % (len(events) - 1)) % len(events)]
        note(f"SWAP the numbers of events #{first.seq} and #{second.seq}")
        with behind_the_back() as cursor:
            parked = max(event.seq for event in events) + 1000
            cursor.execute(f"UPDATE {TABLE} SET seq = %s WHERE id = %s", [parked, first.pk])
            cursor.execute(f"UPDATE {TABLE} SET seq = %s WHERE id = %s", [first.seq, second.pk])
            cursor.execute(f"UPDATE {TABLE} SET seq = %s WHERE id = %s", [second.seq, first.pk])
    else:
        insert_forgery(case, what, pick)


# --- the property ----------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "what"), KINDS, ids=[" ".join(kind) for kind in KINDS])
@TAMPER
@given(data=st.data())
def test_any_tampering_is_caught_and_the_case_named(trail, kind, what, data):
    case = trail.completed
    with rolled_back():
        tamper(trail, case, kind, what, data)

        verdict = verify_chains()
        assert not verdict.ok, f"{kind} {what} went unnoticed"
        assert {chain_break.case_id for chain_break in verdict.breaks} == {case.pk}
        stderr = StringIO()
        with pytest.raises(CommandError, match="does not verify"):
            call_command("verify_audit", stdout=StringIO(), stderr=stderr)
        assert f"Case {case.pk}," in stderr.getvalue()


def test_the_untouched_trail_verifies(trail):
    out = StringIO()
    call_command("verify_audit", stdout=out, stderr=StringIO())
    assert "no breaks" in out.getvalue()
    assert verify_chains(case_ids=[trail.completed.pk]).events >= 12


def test_the_tampering_helper_puts_the_guards_back(trail):
    """After ``behind_the_back`` the table's triggers (PostgreSQL) are enabled again, and the
    application's own guard refuses changes as before."""
    with rolled_back(), behind_the_back() as cursor:
        sql = f"UPDATE {TABLE} SET user_agent = 'x' WHERE case_id = %s"
        cursor.execute(sql, [trail.completed.pk])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tgname, tgenabled FROM pg_trigger"
                " WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                [TABLE],
            )
            disabled = [name for name, enabled in cursor.fetchall() if enabled == "D"]
        assert not disabled, f"left disabled: {disabled}"
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(case=trail.completed).update(user_agent="y")


# --- the rewritten chain ---------------------------------------------------------------------


def rewrite_chain_from(case: Case, victim: AuditEvent, *, keys: dict[str, bytes]) -> None:
    """Reseal ``victim`` and every later event of ``case``, and the case's recorded head, with
    the project's own ``compute_hash`` under ``keys``: the whole rest of the chain made to link."""
    events = events_of(case)
    head = victim.prev_hash
    with override_settings(AUDIT_KEYS=keys), behind_the_back() as cursor:
        for event in events[events.index(victim) :]:
            event.prev_hash = head
            event.key_id = next(iter(keys))
            event.hash = head = event.compute_hash()
            cursor.execute(
                f"UPDATE {TABLE} SET prev_hash = %s, hash = %s, key_id = %s WHERE id = %s",
                [event.prev_hash, event.hash, event.key_id, event.pk],
            )
        cursor.execute("UPDATE checklists_case SET audit_head = %s WHERE id = %s", [head, case.pk])


def change_after(event: AuditEvent, after: dict[str, Any]) -> AuditEvent:
    with behind_the_back() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET after = {json_placeholder()} WHERE id = %s",
            [json.dumps(after), event.pk],
        )
    event.after = after
    return event


def test_a_chain_rewritten_without_the_key_is_caught_at_the_changed_event(trail):
    """The attack that plain SHA-256 let through: change an event, recompute every later hash
    and the case's head with the project's own function. Without the key, it is caught."""
    case = trail.completed
    with rolled_back():
        review = AuditEvent.objects.get(case=case, action=AuditAction.REVIEWED)
        change_after(review, {"comment": "Checked, all in order"})
        rewrite_chain_from(case, review, keys=attackers_keys())

        verdict = verify_chains()

        assert [(b.case_id, b.seq) for b in verdict.breaks] == [(case.pk, review.seq)]
        assert "no longer matches its hash" in verdict.breaks[0].problem


def test_a_chain_resealed_under_a_key_the_server_does_not_hold_is_caught(trail):
    case = trail.completed
    with rolled_back():
        first = events_of(case)[0]
        rewrite_chain_from(case, first, keys={"forged": b"a key named to look like a rotation"})

        verdict = verify_chains()

        assert [(b.case_id, b.seq) for b in verdict.breaks] == [(case.pk, 1)]
        assert "audit key 'forged', which this server does not hold" in verdict.breaks[0].problem


def test_the_same_rewrite_with_the_key_would_verify(trail):
    """The control for the two tests above: the rewrite itself is sound; only the key is
    missing. (Whoever holds the key is out of reach of the chain alone: see the digest.)"""
    case = trail.completed
    with rolled_back():
        review = AuditEvent.objects.get(case=case, action=AuditAction.REVIEWED)
        change_after(review, {"comment": "Checked, all in order"})
        rewrite_chain_from(case, review, keys=django_settings.AUDIT_KEYS)

        assert verify_chains().ok


def test_events_sealed_with_an_older_key_still_verify_after_a_rotation(trail):
    case = trail.completed
    old_id = django_settings.AUDIT_KEY_ID
    new_key = b"the new key, put first: it seals new events"
    rotated = {"2027-01": new_key, **django_settings.AUDIT_KEYS}
    with override_settings(AUDIT_KEYS=rotated, AUDIT_KEY_ID="2027-01"):
        workflow.cancel(actor=trail.nurse, case_id=trail.scheduled.pk, reason="Unwell")

        assert verify_chains().ok
        newest = AuditEvent.objects.filter(case=trail.scheduled).latest("seq")
        assert newest.key_id == "2027-01"
        assert AuditEvent.objects.filter(case=case).values_list("key_id", flat=True)[0] == old_id
    # The old key retired from the server: what it sealed can no longer be proven.
    with override_settings(AUDIT_KEYS={"2027-01": new_key}, AUDIT_KEY_ID="2027-01"):
        problems = {b.problem for b in verify_chains().breaks}
        assert f"it names the audit key {old_id!r}, which this server does not hold" in problems
