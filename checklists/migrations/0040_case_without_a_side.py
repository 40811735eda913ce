"""A case may have no side: a general procedure (the WHO template for any operation) whose steps
never ask for one. Only the field's choices change; no row is rewritten."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("checklists", "0039_backfill_case_quality"),
    ]

    operations = [
        migrations.AlterField(
            model_name="case",
            name="laterality",
            field=models.CharField(
                choices=[
                    ("left", "Left"),
                    ("right", "Right"),
                    ("bilateral", "Bilateral"),
                    ("none", "No side"),
                ],
                max_length=16,
            ),
        ),
    ]
