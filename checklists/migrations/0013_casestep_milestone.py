"""A case's step keeps the milestone of its template step; existing ones get it here.

Compliance (``checklists.compliance``) found the incision by the step's title until now: a done
procedure step titled "…incision…". That rule is applied here, once, to the steps of existing
cases, so their stored and recomputed facts stay what they were (procedures 0003 marks the
template steps alike). From here on the workflow copies the mark when it snapshots a procedure.

The update runs in batches of step ids, as 0008's did. On SQLite, adding the column rebuilt the
step table, which drops the table's planner statistics: where the database had gathered them,
they are gathered again (see 0008).
"""

from django.db import migrations, models
from django.db.models import Max

INCISION = "incision"
BATCH = 50000  # step ids per UPDATE


def backfill(apps, schema_editor):
    CaseStep = apps.get_model("checklists", "CaseStep")
    steps = CaseStep.objects.using(schema_editor.connection.alias)
    incisions = steps.filter(phase="procedure", title__icontains=INCISION)
    highest = steps.aggregate(highest=Max("pk"))["highest"] or 0
    for start in range(0, highest + 1, BATCH):
        incisions.filter(pk__gte=start, pk__lt=start + BATCH).update(milestone=INCISION)
    if schema_editor.connection.vendor == "sqlite":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone():
                cursor.execute("ANALYZE checklists_casestep")


class Migration(migrations.Migration):
    dependencies = [
        ("checklists", "0012_birth_date_not_in_the_future"),
    ]

    operations = [
        migrations.AddField(
            model_name="casestep",
            name="milestone",
            field=models.CharField(
                blank=True,
                choices=[("incision", "Incision (skin opened)")],
                db_default="",
                default="",
                max_length=16,
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
