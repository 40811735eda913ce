"""Shared blocks (issue 16): a phase of the WHO checklist defined once, with its own versions and
steps; a procedure's step names the block step it was copied from (``Step.block_step``)."""

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import accounts.text
import procedures.models.steps


class Migration(migrations.Migration):
    dependencies = [
        ("procedures", "0012_si_fusion_sides_seen"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Block",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "title",
                    models.CharField(
                        max_length=200, unique=True, validators=[accounts.text.validate_plain_text]
                    ),
                ),
                ("slug", models.SlugField(max_length=100, unique=True)),
                (
                    "phase",
                    models.CharField(
                        choices=[
                            ("sign_in", "Sign In"),
                            ("induction", "Induction and positioning"),
                            ("time_out", "Time Out"),
                            ("procedure", "Procedure"),
                            ("sign_out", "Sign Out"),
                        ],
                        help_text="The phase of the checklist its steps belong to, in every procedure.",
                        max_length=16,
                    ),
                ),
                (
                    "description",
                    models.TextField(blank=True, validators=[accounts.text.validate_plain_text]),
                ),
            ],
            options={
                "ordering": ["title"],
                "verbose_name": "shared block",
            },
        ),
        migrations.CreateModel(
            name="BlockStep",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.UUIDField(default=uuid.uuid4, editable=False)),
                (
                    "phase",
                    models.CharField(
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
                (
                    "position",
                    models.PositiveIntegerField(
                        help_text="Order within the procedure, across phases."
                    ),
                ),
                (
                    "title",
                    models.CharField(
                        help_text="What the team confirms, as it is read aloud, e.g. “Antibiotic prophylaxis given within the last 60 minutes”.",
                        max_length=200,
                        validators=[accounts.text.validate_plain_text],
                    ),
                ),
                (
                    "guidance",
                    models.TextField(
                        blank=True,
                        help_text="A short hint shown under the step on the tablet: what to check, or where.",
                        validators=[accounts.text.validate_plain_text],
                    ),
                ),
                (
                    "required",
                    models.BooleanField(
                        default=True,
                        help_text="The surgeon cannot sign the case out until it is done or marked not applicable with a reason.",
                    ),
                ),
                (
                    "hard_stop",
                    models.BooleanField(
                        default=False,
                        help_text="No later step may be recorded until this one is done: for the checks that must never be passed over, such as the patient's identity.",
                    ),
                ),
                (
                    "gates_later_phases",
                    models.BooleanField(
                        db_default=False,
                        default=False,
                        help_text="While this step is pending (and required), no step of a later phase may be recorded. Mark every step of a phase to make the whole phase a gate (the Time Out).",
                    ),
                ),
                (
                    "role",
                    models.CharField(
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
                (
                    "per_side",
                    models.BooleanField(
                        default=False,
                        help_text="Asked once for each side in a bilateral case, e.g. the incision or the implant.",
                    ),
                ),
                (
                    "milestone",
                    models.CharField(
                        blank=True,
                        choices=[("incision", "Incision (skin opened)")],
                        db_default="",
                        default="",
                        help_text="The moment of the operation this step records, if any. Mark the step that records the skin incision: reviewers check that the Time Out was complete before it.",
                        max_length=16,
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("check", "Check"),
                            ("yes_no", "Yes / no"),
                            ("number", "Number"),
                            ("choice", "Choice"),
                            ("text", "Text"),
                            ("implants", "Implant log"),
                            ("side", "Side seen (left / right / both)"),
                        ],
                        default="check",
                        help_text="How the team answers: a tick; yes or no; a number within limits; one of a list of options; a few words; the implants scanned; or the side they see (left, right or both), which must be the case's side: a side that is not holds the whole case until the surgeon resolves it.",
                        max_length=16,
                        verbose_name="answer",
                    ),
                ),
                (
                    "unit",
                    models.CharField(
                        blank=True,
                        help_text="Number steps: the unit shown beside the answer, e.g. cm or ml.",
                        max_length=20,
                        validators=[accounts.text.validate_plain_text],
                    ),
                ),
                (
                    "min_value",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        help_text="Number steps: the lowest answer accepted, e.g. 3 for an incision of 3–5 cm. Empty: no lower limit.",
                        max_digits=9,
                        null=True,
                        verbose_name="lowest answer",
                    ),
                ),
                (
                    "max_value",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        help_text="Number steps: the highest answer accepted. Empty: no upper limit.",
                        max_digits=9,
                        null=True,
                        verbose_name="highest answer",
                    ),
                ),
                (
                    "options",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text="Choice steps: the answers the team chooses from, one per line.",
                        validators=[procedures.models.steps.validate_options],
                    ),
                ),
                (
                    "expected_answer",
                    models.CharField(
                        blank=True,
                        help_text="Yes/no and choice steps: the answer sign-out needs (e.g. yes for consent).",
                        max_length=100,
                        validators=[accounts.text.validate_plain_text],
                    ),
                ),
                (
                    "details_required_for",
                    models.CharField(
                        blank=True,
                        help_text="Yes/no and choice steps: the answer that needs details written in the note.",
                        max_length=100,
                        validators=[accounts.text.validate_plain_text],
                    ),
                ),
                (
                    "default_value",
                    models.CharField(
                        blank=True,
                        help_text="Text steps: the words already filled in, which the team may change.",
                        max_length=200,
                        validators=[accounts.text.validate_plain_text],
                    ),
                ),
            ],
            options={
                "ordering": ["version", "position"],
            },
            bases=(procedures.models.steps.AnswerRules, models.Model),
        ),
        migrations.AddField(
            model_name="step",
            name="block_step",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="copies",
                to="procedures.blockstep",
            ),
        ),
        migrations.CreateModel(
            name="BlockVersion",
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
                        help_text="What changed and why, in a sentence or two: it is the change note of every procedure's new version too. Needed to publish.",
                        max_length=2000,
                        validators=[accounts.text.validate_plain_text],
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("published_at", models.DateTimeField(blank=True, null=True)),
                (
                    "block",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="versions",
                        to="procedures.block",
                    ),
                ),
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
                "ordering": ["block", "-number"],
                "permissions": [("publish_blockversion", "Can publish a shared block's draft")],
            },
        ),
        migrations.AddField(
            model_name="blockstep",
            name="version",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="steps",
                to="procedures.blockversion",
            ),
        ),
        migrations.AddConstraint(
            model_name="blockversion",
            constraint=models.UniqueConstraint(
                fields=("block", "number"), name="block_version_unique_number"
            ),
        ),
        migrations.AddConstraint(
            model_name="blockversion",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "published")),
                fields=("block",),
                name="block_one_published_version",
                violation_error_message="A block has one published version at a time.",
            ),
        ),
        migrations.AddConstraint(
            model_name="blockversion",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "draft")),
                fields=("block",),
                name="block_one_draft",
                violation_error_message="A block has one draft at a time.",
            ),
        ),
        migrations.AddConstraint(
            model_name="blockversion",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status", "draft"), ("published_at__isnull", False), _connector="OR"
                ),
                name="block_version_published_when",
            ),
        ),
        migrations.AddConstraint(
            model_name="blockstep",
            constraint=models.UniqueConstraint(
                fields=("version", "position"), name="block_step_unique_position_per_version"
            ),
        ),
        migrations.AddConstraint(
            model_name="blockstep",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("min_value__isnull", True),
                    ("max_value__isnull", True),
                    ("min_value__lte", models.F("max_value")),
                    _connector="OR",
                ),
                name="block_step_min_not_above_max",
                violation_error_message="The minimum cannot be greater than the maximum.",
            ),
        ),
        migrations.AddConstraint(
            model_name="blockstep",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "choice"), _negated=True),
                    models.Q(("options", []), _negated=True),
                    _connector="OR",
                ),
                name="block_step_choice_has_options",
                violation_error_message="A choice step needs at least one option.",
            ),
        ),
    ]
