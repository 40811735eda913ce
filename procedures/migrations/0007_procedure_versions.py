"""Procedure versions: a procedure's steps belong to one of its versions (draft, published or
retired), so that a change reaches the theatre only once an administrator publishes it.

Here the table and the new columns, empty; 0008 makes each procedure's steps its version 1,
published; 0009 drops the steps' link to the procedure. Three migrations, as on PostgreSQL a
migration that changes rows cannot then alter their table in the same transaction.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import accounts.text


class Migration(migrations.Migration):
    dependencies = [
        ("procedures", "0006_induction_phase_and_time_out_gate"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ProcedureVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveIntegerField()),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("draft", "Draft"),
                            ("published", "Published"),
                            ("retired", "Retired"),
                        ],
                        default="draft",
                        max_length=16,
                    ),
                ),
                (
                    "change_note",
                    models.TextField(
                        blank=True,
                        help_text=(
                            "What changed and why, in a sentence or two the team will read, "
                            "e.g. “Neuromonitoring check added before the first screw (M&M "
                            "review, 12 May)”. Needed to publish."
                        ),
                        max_length=2000,
                        validators=[accounts.text.validate_plain_text],
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("published_at", models.DateTimeField(blank=True, null=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "procedure",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="versions",
                        to="procedures.procedure",
                    ),
                ),
                (
                    "published_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["procedure", "-number"],
                "permissions": [("publish_procedureversion", "Can publish a procedure's draft")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("procedure", "number"), name="procedure_version_unique_number"
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("status", "published")),
                        fields=("procedure",),
                        name="procedure_one_published_version",
                        violation_error_message=(
                            "A procedure has one published version at a time."
                        ),
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("status", "draft")),
                        fields=("procedure",),
                        name="procedure_one_draft",
                        violation_error_message="A procedure has one draft at a time.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("status", "draft"), ("published_at__isnull", False), _connector="OR"
                        ),
                        name="procedure_version_published_when",
                    ),
                ],
            },
        ),
        migrations.AddField(
            model_name="step",
            name="version",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="steps",
                to="procedures.procedureversion",
            ),
        ),
        migrations.AddField(
            model_name="step",
            name="key",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="step",
            name="procedure",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="steps",
                to="procedures.procedure",
            ),
        ),
    ]
