"""On PostgreSQL, the database itself refuses to change or delete a record access entry.

The model and its queryset refuse already, but only for code that goes through the ORM; this
trigger also stops raw SQL from the application's database role. TRUNCATE is left alone (the
test suite's flush uses it). SQLite has no such guard worth relying on: the model stands alone.
The function is this app's own, so the access log does not depend on another app's migration.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION review_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'review_recordaccess rows are append-only: % refused', TG_OP;
END
$$;
CREATE TRIGGER review_recordaccess_append_only BEFORE UPDATE OR DELETE ON review_recordaccess
FOR EACH ROW EXECUTE FUNCTION review_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS review_recordaccess_append_only ON review_recordaccess;
DROP FUNCTION IF EXISTS review_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(CREATE)  # no parameters: the % is PL/pgSQL's, not a placeholder


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("review", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
