"""The access log names a new reading: a record downloaded as a PDF. Choices only; no data."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("review", "0002_access_log_append_only_on_postgresql"),
    ]

    operations = [
        migrations.AlterField(
            model_name="recordaccess",
            name="action",
            field=models.CharField(
                choices=[
                    ("list", "Listed cases"),
                    ("view", "Viewed a record"),
                    ("export", "Exported cases"),
                    ("download", "Downloaded a record (PDF)"),
                ],
                max_length=16,
            ),
        ),
    ]
