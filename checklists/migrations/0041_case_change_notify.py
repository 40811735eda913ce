"""On PostgreSQL, a trigger announces every change of a case (its version, status or room) with
NOTIFY, which the live-updates server (checklists.live_push) LISTENs for.

A trigger rather than a call in the workflow: every change of a case bumps its version in the
same UPDATE, so none can be forgotten, and the notification leaves only when the change commits
(NOTIFY is transactional). SQLite has no NOTIFY: there the pages poll, and this does nothing.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION sitracker_case_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify(
        'sitracker_case',
        json_build_object(
            'case', NEW.id,
            'version', NEW.version,
            'rooms', (SELECT json_agg(DISTINCT room) FROM unnest(ARRAY[NEW.room, OLD.room]) AS room)
        )::text
    );
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER sitracker_case_changed
    AFTER UPDATE ON checklists_case
    FOR EACH ROW
    WHEN (
        OLD.version IS DISTINCT FROM NEW.version
        OR OLD.status IS DISTINCT FROM NEW.status
        OR OLD.room IS DISTINCT FROM NEW.room
    )
    EXECUTE FUNCTION sitracker_case_changed();
"""

DROP = """
DROP TRIGGER IF EXISTS sitracker_case_changed ON checklists_case;
DROP FUNCTION IF EXISTS sitracker_case_changed();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("checklists", "0040_case_without_a_side")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
