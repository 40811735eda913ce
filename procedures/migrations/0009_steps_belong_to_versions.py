"""A step belongs to a version of its procedure (0008 filled the column): its link to the
procedure goes, and positions are unique within a version. Each field's help in clinical words."""

import uuid

import django.db.models.deletion
from django.db import migrations, models

import accounts.text


class Migration(migrations.Migration):
    dependencies = [
        ("procedures", "0008_each_procedure_published_as_version_1"),
    ]

    operations = [
        migrations.AlterField(
            model_name="step",
            name="version",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="steps",
                to="procedures.procedureversion",
            ),
        ),
        migrations.AlterField(
            model_name="step",
            name="key",
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
        migrations.RemoveConstraint(
            model_name="step",
            name="step_unique_position_per_procedure",
        ),
        migrations.RemoveField(
            model_name="step",
            name="procedure",
        ),
        migrations.AddConstraint(
            model_name="step",
            constraint=models.UniqueConstraint(
                fields=("version", "position"), name="step_unique_position_per_version"
            ),
        ),
        migrations.AlterModelOptions(
            name="step",
            options={"ordering": ["version", "position"]},
        ),
        migrations.AlterField(
            model_name="step",
            name="default_value",
            field=models.CharField(
                blank=True,
                help_text="Text steps: the words already filled in, which the team may change.",
                max_length=200,
                validators=[accounts.text.validate_plain_text],
            ),
        ),
        migrations.AlterField(
            model_name="step",
            name="guidance",
            field=models.TextField(
                blank=True,
                help_text="A short hint shown under the step on the tablet: what to check, or where.",
                validators=[accounts.text.validate_plain_text],
            ),
        ),
        migrations.AlterField(
            model_name="step",
            name="hard_stop",
            field=models.BooleanField(
                default=False,
                help_text="No later step may be recorded until this one is done: for the checks that must never be passed over, such as the patient's identity.",
            ),
        ),
        migrations.AlterField(
            model_name="step",
            name="kind",
            field=models.CharField(
                choices=[
                    ("check", "Check"),
                    ("yes_no", "Yes / no"),
                    ("number", "Number"),
                    ("choice", "Choice"),
                    ("text", "Text"),
                    ("implants", "Implant log"),
                ],
                default="check",
                help_text="How the team answers: a tick; yes or no; a number within limits; one of a list of options; a few words; or the implants scanned.",
                max_length=16,
                verbose_name="answer",
            ),
        ),
        migrations.AlterField(
            model_name="step",
            name="max_value",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                help_text="Number steps: the highest answer accepted. Empty: no upper limit.",
                max_digits=9,
                null=True,
                verbose_name="highest answer",
            ),
        ),
        migrations.AlterField(
            model_name="step",
            name="min_value",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                help_text="Number steps: the lowest answer accepted, e.g. 3 for an incision of 3–5 cm. Empty: no lower limit.",
                max_digits=9,
                null=True,
                verbose_name="lowest answer",
            ),
        ),
        migrations.AlterField(
            model_name="step",
            name="per_side",
            field=models.BooleanField(
                default=False,
                help_text="Asked once for each side in a bilateral case, e.g. the incision or the implant.",
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
                help_text="When the team does it, in the WHO checklist's order: Sign In before anaesthesia, Induction and positioning, Time Out before the skin incision, Procedure, Sign Out before the patient leaves the room.",
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="step",
            name="required",
            field=models.BooleanField(
                default=True,
                help_text="The surgeon cannot sign the case out until it is done or marked not applicable with a reason.",
            ),
        ),
        migrations.AlterField(
            model_name="step",
            name="role",
            field=models.CharField(
                choices=[
                    ("nurse", "Circulating nurse"),
                    ("scrub", "Scrub tech"),
                    ("anaesthetist", "Anaesthetist"),
                    ("surgeon", "Surgeon"),
                ],
                help_text="Who normally confirms it. Anyone in the team may record it; the record then says for whom.",
                max_length=16,
                verbose_name="who confirms it",
            ),
        ),
        migrations.AlterField(
            model_name="step",
            name="title",
            field=models.CharField(
                help_text="What the team confirms, as it is read aloud, e.g. “Antibiotic prophylaxis given within the last 60 minutes”.",
                max_length=200,
                validators=[accounts.text.validate_plain_text],
            ),
        ),
        migrations.AlterField(
            model_name="step",
            name="unit",
            field=models.CharField(
                blank=True,
                help_text="Number steps: the unit shown beside the answer, e.g. cm or ml.",
                max_length=20,
                validators=[accounts.text.validate_plain_text],
            ),
        ),
    ]
