"""The Induction and positioning phase, and a step that gates the later phases.

The phase runs between the Sign In and the Time Out (anaesthesia is induced, and the patient
positioned, before the Time Out). A step marked ``gates_later_phases`` holds back every step of
the later phases while it is required and pending: marked on every step of a phase, the whole
phase is a gate (the seeded Time Outs, 0005). db_default: servers still on the code before the
field (a rolling deploy) insert steps without naming the column.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("procedures", "0004_text_validators"),
    ]

    operations = [
        migrations.AddField(
            model_name="step",
            name="gates_later_phases",
            field=models.BooleanField(
                db_default=False,
                default=False,
                help_text=(
                    "While this step is pending (and required), no step of a later phase may "
                    "be recorded. Mark every step of a phase to make the whole phase a gate "
                    "(the Time Out)."
                ),
            ),
        ),
        migrations.AlterField(
            model_name="step",
            name="phase",
            field=models.CharField(
                choices=[
                    ("sign_in", "Sign In"),
                    ("induction", "Induction and positioning"),
                    ("time_out", "Time Out"),
                    ("procedure", "Procedure"),
                    ("sign_out", "Sign Out"),
                ],
                max_length=16,
            ),
        ),
    ]
