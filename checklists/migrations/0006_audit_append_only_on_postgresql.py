"""On PostgreSQL, the database itself refuses to change or delete an audit event.

The model refuses too (AuditEvent.save/delete and its queryset), but only for code that goes
through the ORM. This trigger also stops raw SQL and other programs using the application's
database role. A superuser or the table's owner can still disable it; the hash chain
(``verify_audit``) is what proves nothing was altered. TRUNCATE is left alone: Django's test
flush uses it, and an emptied table breaks every case's chain head, which ``verify_audit`` reports.

SQLite has no such triggers worth relying on here; there the model guard stands alone.
"""

from django.db import migrations

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION sitracker_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only: % refused', TG_TABLE_NAME, TG_OP
        USING HINT = 'Corrections are new rows; the audit trail is never rewritten.';
END
$$;
"""
DROP_FUNCTION = "DROP FUNCTION IF EXISTS sitracker_append_only();"

TRIGGER = "checklists_auditevent_append_only"
TABLE = "checklists_auditevent"


def append_only_trigger_sql(trigger: str, table: str) -> str:
    return (
        f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION sitracker_append_only();"
    )


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION, params=None)  # its % are PL/pgSQL's, not ours
    schema_editor.execute(append_only_trigger_sql(TRIGGER, TABLE))


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE};")
    schema_editor.execute(DROP_FUNCTION)


class Migration(migrations.Migration):
    dependencies = [
        ("checklists", "0005_pin_failure"),
    ]

    operations = [
        migrations.RunPython(create_trigger, drop_trigger, elidable=False),
    ]
