"""Key the audit chain: every event's hash becomes an HMAC-SHA-256 under ``settings.AUDIT_KEYS``.

Before this, each hash was a plain SHA-256, which anyone with write access to the database
could recompute after changing an event (and then every later hash and the case's head). Now
the hash needs a key held outside the database, and each event names the key that sealed it
(``key_id``), so keys can be rotated.

Existing chains are re-sealed here under the current key, case by case. Each chain is first
verified by the old definition (frozen below, as a migration must not follow later changes of
application code); a chain that does not verify stops the migration, naming the case, so that
a trail already tampered with is never blessed by the key. On PostgreSQL the append-only
trigger (0006) is disabled for the rewrite and enabled again in the same transaction.
"""

import datetime
import hashlib
import hmac
import json

from django.conf import settings
from django.db import migrations, models

import checklists.models

CASES_PER_BATCH = 200
TRIGGER = "checklists_auditevent_append_only"
TABLE = "checklists_auditevent"


def canonical(payload):
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def payload_of(event, prev_hash):
    return {
        "case": event.case_id,
        "seq": event.seq,
        "step": event.step_id,
        "actor": event.actor_id,
        "action": event.action,
        "before": event.before,
        "after": event.after,
        "created_at": event.created_at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
        "remote_addr": event.remote_addr,
        "user_agent": event.user_agent,
        "prev_hash": prev_hash,
    }


def unkeyed_hash(event, prev_hash):
    return hashlib.sha256(canonical(payload_of(event, prev_hash))).hexdigest()


def keyed_hash(event, prev_hash):
    key = settings.AUDIT_KEYS[event.key_id]
    payload = {**payload_of(event, prev_hash), "key_id": event.key_id}
    return hmac.new(key, canonical(payload), hashlib.sha256).hexdigest()


def seal_with_key(apps, schema_editor):
    reseal(apps, schema_editor, old=unkeyed_hash, new=keyed_hash, key_id=settings.AUDIT_KEY_ID)


def seal_without_key(apps, schema_editor):
    """Back to plain SHA-256, for the release before this one (its verify_audit reads those)."""
    reseal(apps, schema_editor, old=keyed_hash, new=unkeyed_hash, key_id=None)


def reseal(apps, schema_editor, *, old, new, key_id):
    AuditEvent = apps.get_model("checklists", "AuditEvent")
    Case = apps.get_model("checklists", "Case")
    database = schema_editor.connection.alias
    postgresql = schema_editor.connection.vendor == "postgresql"
    case_ids = list(Case.objects.using(database).order_by("pk").values_list("pk", flat=True))
    if not case_ids:
        return
    if postgresql:
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TRIGGER}")
    for start in range(0, len(case_ids), CASES_PER_BATCH):
        batch = case_ids[start : start + CASES_PER_BATCH]
        cases = Case.objects.using(database).filter(pk__in=batch).in_bulk()
        events = AuditEvent.objects.using(database).filter(case_id__in=batch)
        chains = {}
        for event in events.order_by("case_id", "seq"):
            chains.setdefault(event.case_id, []).append(event)
        for case_id in batch:
            reseal_chain(cases[case_id], chains.get(case_id, []), old=old, new=new, key_id=key_id)
        AuditEvent.objects.using(database).bulk_update(
            [event for chain in chains.values() for event in chain],
            ["prev_hash", "hash", "key_id"],
            batch_size=1000,
        )
        Case.objects.using(database).bulk_update(list(cases.values()), ["audit_head"])
    if postgresql:
        schema_editor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TRIGGER}")


def reseal_chain(case, chain, *, old, new, key_id):
    """Check the chain by the old definition, then seal it by the new one, in place."""
    seq, head = 0, ""
    for event in chain:
        if event.seq != seq + 1 or event.prev_hash != head or old(event, head) != event.hash:
            raise RuntimeError(
                f"Case {case.pk}: its audit chain does not verify at event #{event.seq}, so it "
                "is not re-sealed. Investigate with the previous release's verify_audit."
            )
        seq, head = event.seq, event.hash
    if (seq, head) != (case.audit_seq, case.audit_head):
        raise RuntimeError(
            f"Case {case.pk}: its audit chain ends at #{seq} but the case records "
            f"#{case.audit_seq}, so it is not re-sealed."
        )
    head = ""
    for event in chain:
        if key_id is not None:
            event.key_id = key_id
        event.prev_hash = head
        event.hash = head = new(event, head)
    case.audit_head = head


class Migration(migrations.Migration):
    dependencies = [
        ("checklists", "0009_pins_moved_to_accounts"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(
                default=checklists.models.audit_key_id,
                help_text=(
                    "Which audit key sealed the hash (settings.AUDIT_KEYS); the key is never "
                    "stored."
                ),
                max_length=32,
            ),
        ),
        migrations.RunPython(seal_with_key, seal_without_key, elidable=False),
    ]
