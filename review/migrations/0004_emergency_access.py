"""Emergency access ("break-glass"): one row per grant, for administrators to sign off."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import accounts.text


class Migration(migrations.Migration):
    dependencies = [
        ("checklists", "0016_record_access_from_review"),
        ("review", "0003_record_access_to_checklists"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="EmergencyAccess",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "reason",
                    models.TextField(
                        help_text="Why the record was needed, in the person's own words.",
                        max_length=1000,
                        validators=[accounts.text.validate_plain_text],
                    ),
                ),
                ("started_at", models.DateTimeField(verbose_name="started")),
                ("ends_at", models.DateTimeField(verbose_name="ends")),
                (
                    "reviewed_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="signed off"),
                ),
                (
                    "case",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="emergency_accesses",
                        to="checklists.case",
                    ),
                ),
                (
                    "reviewed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="signed off by",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="emergency_accesses",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="person",
                    ),
                ),
            ],
            options={
                "verbose_name": "emergency access",
                "verbose_name_plural": "emergency accesses",
                "ordering": ["-started_at", "-pk"],
                "indexes": [
                    models.Index(fields=["user", "ends_at"], name="review_emer_user_id_9f62d6_idx"),
                    models.Index(
                        fields=["reviewed_at", "started_at"], name="review_emer_reviewe_4af1c3_idx"
                    ),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("ends_at__gt", models.F("started_at"))),
                        name="emergency_access_ends_after_start",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("reason", ""), _negated=True),
                        name="emergency_access_has_reason",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("reviewed_at__isnull", True), ("reviewed_by__isnull", True)),
                            models.Q(
                                ("reviewed_at__isnull", False), ("reviewed_by__isnull", False)
                            ),
                            _connector="OR",
                        ),
                        name="emergency_access_signed_off_by_someone",
                    ),
                ],
            },
        ),
    ]
