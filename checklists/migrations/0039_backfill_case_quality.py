"""Store the quality facts of the cases closed before 0038 made a place for them.

From here on the workflow writes them when a case closes (``checklists.quality``). This fills
them for every completed, reviewed and cancelled case, by ``checklists.quality.store_quality``
on this migration's historical models (which have the columns it reads), a few grouped queries
per 2000 cases. Unlike 0008 it runs the application's definition rather than a frozen copy:
the rules are young and have one home; should they change, ``manage.py rebuild_case_quality``
writes every case's facts again by the new ones. Going back removes the rows with the table.
"""

from django.db import migrations

CLOSED = ("completed", "reviewed", "cancelled")


def backfill(apps, schema_editor):
    from checklists.quality import QualityModels, store_quality

    database = schema_editor.connection.alias

    def model(name):
        return apps.get_model("checklists", name)

    tables = QualityModels(
        case_step=model("CaseStep"),
        time_out=model("TimeOut"),
        concern=model("Concern"),
        audit_event=model("AuditEvent"),
        case_quality=model("CaseQuality"),
    )
    cases = model("Case").objects.using(database).filter(status__in=CLOSED)
    store_quality(cases, tables=tables)


class Migration(migrations.Migration):
    dependencies = [("checklists", "0038_case_quality")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
