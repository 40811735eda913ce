"""A case keeps the appointment's id it was imported from (the day's theatre list), and the
audit trail has the list's move of a case not yet started (``case_rescheduled``).

On SQLite a unique column added rebuilds the case table, which drops its planner statistics:
they are gathered again where the database had some (as 0031 does)."""

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
        ("checklists", "0033_debrief_actions"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="source_appointment_id",
            field=models.CharField(
                blank=True,
                max_length=64,
                null=True,
                unique=True,
                verbose_name="appointment id (scheduling system)",
            ),
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
                    ("implant_wasted", "Implant opened, not implanted"),
                    ("implant_explanted", "Implant explanted"),
                    ("implant_read_back", "Implant read back before opening"),
                    ("signed_out", "Case signed out"),
                    ("signature_refused", "Signature refused (wrong password)"),
                    ("reviewed", "Case reviewed"),
                    ("cancelled", "Case cancelled"),
                    ("stop_overridden", "Stop overridden by surgeon"),
                    ("concern_raised", "Stop called by the team"),
                    ("concern_resolved", "Stop called by the team resolved"),
                    ("debrief_action_added", "Debrief action added"),
                    ("debrief_action_closed", "Debrief action closed"),
                    ("case_rescheduled", "Case moved (time or room) by the theatre list"),
                ],
                max_length=32,
            ),
        ),
        migrations.RunPython(analyse_again, migrations.RunPython.noop),
    ]
