"""Integrations' API tokens (accounts.tokens), and the table that counts their calls."""

import django.db.models.deletion
from django.conf import settings
from django.core.management import call_command
from django.db import migrations, models

import accounts.text


def make_throttle_table(apps, schema_editor):
    """The API's per-token call counts live in the database (settings.CACHES["api_throttle"]),
    in the table Django's createcachetable makes (it leaves one that exists alone)."""
    alias = schema_editor.connection.alias
    call_command("createcachetable", "api_throttle", database=alias, verbosity=0)


def drop_throttle_table(apps, schema_editor):
    schema_editor.execute("DROP TABLE IF EXISTS api_throttle")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0012_role_permissions_recalls"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiToken",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "name",
                    models.CharField(
                        help_text="The integration, as the record names it, e.g. “Theatre scheduling”.",
                        max_length=100,
                        validators=[accounts.text.validate_plain_text],
                    ),
                ),
                (
                    "read_cases",
                    models.BooleanField(
                        default=False, help_text="List and read cases, with the patient's identity."
                    ),
                ),
                (
                    "import_schedule",
                    models.BooleanField(default=False, help_text="Schedule cases."),
                ),
                (
                    "record_steps",
                    models.BooleanField(
                        default=False, help_text="Record checklist steps and log implants."
                    ),
                ),
                (
                    "expires_at",
                    models.DateTimeField(help_text="After this moment the token is refused."),
                ),
                ("prefix", models.CharField(editable=False, max_length=16, unique=True)),
                ("secret_hash", models.CharField(editable=False, max_length=64)),
                ("created_at", models.DateTimeField(editable=False)),
                ("last_used_at", models.DateTimeField(blank=True, editable=False, null=True)),
                ("revoked_at", models.DateTimeField(blank=True, editable=False, null=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        editable=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "revoked_by",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "user",
                    models.OneToOneField(
                        editable=False,
                        help_text="The service user the token acts as.",
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="api_token",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "API token",
                "ordering": ["-created_at"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("revoked_at__isnull", True), ("revoked_by__isnull", True)),
                            models.Q(("revoked_at__isnull", False), ("revoked_by__isnull", False)),
                            _connector="OR",
                        ),
                        name="apitoken_revoked_by_whom_and_when",
                    )
                ],
            },
        ),
        migrations.RunPython(make_throttle_table, drop_throttle_table),
    ]
