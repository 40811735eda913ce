"""A case's steps keep the phase gate their template had, and a surgeon's override of a Stop.

- ``gates_later_phases``: snapshotted from the template step when a case is made (procedures
  0005 marks the seeded Time Outs). Existing cases keep the rules they were made with: theirs
  stay False, and their steps stay in the phases they were snapshotted in.
- ``stop_override_reason``, ``stop_overridden_by``, ``stop_overridden_at``: a Stop (an expected
  answer not given) overridden by a surgeon, with a reason (a constraint says so).
- the Induction and positioning phase, and the ``stop_overridden`` audit action, as choices.

On SQLite the new columns and the constraint rebuild the step table, which drops its planner
statistics: where the database had gathered them, they are gathered again (see 0008).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def analyse_again(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone():
            cursor.execute("ANALYZE checklists_casestep")


class Migration(migrations.Migration):
    dependencies = [
        ("checklists", "0014_identity_validators"),
        ("procedures", "0005_step_gates_later_phases"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="casestep",
            name="gates_later_phases",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddField(
            model_name="casestep",
            name="stop_overridden_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="casestep",
            name="stop_overridden_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="casestep",
            name="stop_override_reason",
            field=models.TextField(blank=True, db_default="", max_length=2000),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("case_created", "Case scheduled"),
                    ("step_recorded", "Step recorded"),
                    ("step_amended", "Step amended after sign-out"),
                    ("implant_added", "Implant added"),
                    ("implant_removed", "Implant removed"),
                    ("signed_out", "Case signed out"),
                    ("signature_refused", "Signature refused (wrong password)"),
                    ("reviewed", "Case reviewed"),
                    ("cancelled", "Case cancelled"),
                    ("stop_overridden", "Stop overridden by surgeon"),
                ],
                max_length=32,
            ),
        ),
        migrations.AlterField(
            model_name="casestep",
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
        migrations.AddConstraint(
            model_name="casestep",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("stop_overridden_by__isnull", True),
                    models.Q(("stop_override_reason", ""), _negated=True),
                    _connector="OR",
                ),
                name="casestep_override_has_reason",
            ),
        ),
        migrations.RunPython(analyse_again, migrations.RunPython.noop, elidable=True),
    ]
