"""Every case names its procedure's version (0028 filled the column).

On SQLite the column's change rebuilds the case table, which drops its planner statistics:
they are gathered again where the database had some (as 0015 does for the steps)."""

import django.db.models.deletion
from django.db import migrations, models


def analyse_again(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone():
            cursor.execute("ANALYZE checklists_case")


class Migration(migrations.Migration):
    dependencies = [
        ("checklists", "0030_cases_name_version_1"),
    ]

    operations = [
        migrations.AlterField(
            model_name="case",
            name="procedure_version",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="cases",
                to="procedures.procedureversion",
            ),
        ),
        migrations.RunPython(analyse_again, migrations.RunPython.noop),
    ]
