"""Notes, reasons and comments get their length limit on the model field (2000 characters).

A TextField's ``max_length`` is checked by forms and by the workflow, never by the database:
its column stays ``text``. So this changes the migration state only; on SQLite an AlterField
would rebuild the case and step tables (copying every row, and dropping the planner's
statistics, see 0008) to end up with the same columns.
"""

from django.db import migrations, models


def text(**options):
    return models.TextField(blank=True, max_length=2000, **options)


class Migration(migrations.Migration):
    dependencies = [
        ("checklists", "0010_audit_keyed_chain"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name="case", name="cancel_reason", field=text()),
                migrations.AlterField(model_name="case", name="review_comment", field=text()),
                migrations.AlterField(
                    model_name="casestep",
                    name="na_reason",
                    field=text(verbose_name="reason not applicable"),
                ),
                migrations.AlterField(model_name="casestep", name="note", field=text()),
                migrations.AlterField(model_name="casestep", name="value", field=text()),
                migrations.AlterField(
                    model_name="implant", name="expiry_override_reason", field=text()
                ),
                migrations.AlterField(
                    model_name="signature",
                    name="reason",
                    field=text(help_text="Amendments: why the signed record changed."),
                ),
            ],
        ),
    ]
