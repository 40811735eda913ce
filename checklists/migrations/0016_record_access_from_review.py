"""RecordAccess (the access log) now belongs to checklists, in Django's state only.

Every page that shows a patient's identity writes the log, the checklist's and the admin's
included, and checklists cannot import review; so the model moves down here. Its table was made
by review 0001 and keeps its name (``Meta.db_table``) and its indexes, so nothing is done to
the database, and its PostgreSQL append-only trigger (review 0002) stays on it. review 0003
takes the model out of review's state. Its content type follows it (``move``): renaming it
keeps its id, so its permissions (now ``checklists.view_recordaccess`` and the like) and the
admin's history keep theirs. The new kinds of entry (the checklist, sign-out, the admin's case
page, emergency access) are choices only: no column changes.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODEL = "recordaccess"


def move(apps, schema_editor, *, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_types = ContentType.objects.using(schema_editor.connection.alias)
    old = content_types.filter(app_label=source, model=MODEL)
    if content_types.filter(app_label=target, model=MODEL).exists():
        # Made meanwhile for the model's new home: that one is kept, the old one is stale.
        old.delete()
    else:
        old.update(app_label=target)
    ContentType.objects.clear_cache()


def forwards(apps, schema_editor):
    move(apps, schema_editor, source="review", target="checklists")


def backwards(apps, schema_editor):
    move(apps, schema_editor, source="checklists", target="review")


class Migration(migrations.Migration):
    dependencies = [
        ("checklists", "0015_stop_overrides_and_phase_gates"),
        # The table and its trigger exist from here on.
        ("review", "0002_access_log_append_only_on_postgresql"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="RecordAccess",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "action",
                            models.CharField(
                                choices=[
                                    ("list", "Listed cases"),
                                    ("view", "Viewed the review record"),
                                    ("export", "Exported cases"),
                                    ("checklist", "Opened the checklist"),
                                    ("sign_out", "Opened the sign-out page"),
                                    ("admin", "Viewed the case in the admin"),
                                    ("emergency", "Emergency access to the review record"),
                                ],
                                max_length=16,
                            ),
                        ),
                        ("at", models.DateTimeField()),
                        (
                            "filters",
                            models.TextField(
                                blank=True,
                                help_text=(
                                    "The filters of a list or an export; never patient identity."
                                ),
                            ),
                        ),
                        ("remote_addr", models.GenericIPAddressField(blank=True, null=True)),
                        ("user_agent", models.CharField(blank=True, max_length=300)),
                        (
                            "case",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="accesses",
                                to="checklists.case",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "record access",
                        "verbose_name_plural": "record accesses",
                        "db_table": "review_recordaccess",
                        "ordering": ["-at", "-pk"],
                        "indexes": [
                            models.Index(fields=["at"], name="review_reco_at_9935ed_idx"),
                            models.Index(
                                fields=["case", "at"], name="review_reco_case_id_97ae49_idx"
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
