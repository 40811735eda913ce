"""A step says which moment of the operation it records: for now, the incision.

Until now the incision was whichever procedure step's title said "incision", and compliance
(``checklists.compliance``) read the title. That rule is applied here once, to the template
steps of every procedure: the two seeded ones ("Lateral buttock incision made", "Lower back
incision made; SI joint exposed") and any made in the admin, so new cases are timed as before.
From here on an administrator marks the step. checklists 0013 marks the steps of existing cases.
"""

from django.db import migrations, models

INCISION = "incision"


def mark_incisions(apps, schema_editor):
    Step = apps.get_model("procedures", "Step")
    Step.objects.filter(phase="procedure", title__icontains=INCISION).update(milestone=INCISION)


class Migration(migrations.Migration):
    dependencies = [
        ("procedures", "0002_seed_si_joint_fusion"),
    ]

    operations = [
        migrations.AddField(
            model_name="step",
            name="milestone",
            field=models.CharField(
                blank=True,
                choices=[("incision", "Incision (skin opened)")],
                db_default="",
                default="",
                help_text=(
                    "The moment of the operation this step records, if any. Mark the step that "
                    "records the skin incision: reviewers check that the Time Out was complete "
                    "before it."
                ),
                max_length=16,
            ),
        ),
        # Unapplying drops the column, and the marks with it.
        migrations.RunPython(mark_incisions, migrations.RunPython.noop),
    ]
