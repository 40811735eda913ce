"""The content types of StaffProfile and PinFailure follow the models to accounts.

Renaming the content type keeps its id, so its permissions (now ``accounts.change_staffprofile``
and the like), whoever holds them and the admin's history of those records stay as they were.
"""

from django.db import migrations

MOVED = ("staffprofile", "pinfailure")


def move(apps, schema_editor, *, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_types = ContentType.objects.using(schema_editor.connection.alias)
    for model in MOVED:
        old = content_types.filter(app_label=source, model=model)
        if content_types.filter(app_label=target, model=model).exists():
            # Made meanwhile for the models' new home: that one is kept, the old one is stale.
            old.delete()
        else:
            old.update(app_label=target)
    ContentType.objects.clear_cache()


def forwards(apps, schema_editor):
    move(apps, schema_editor, source="checklists", target="accounts")


def backwards(apps, schema_editor):
    move(apps, schema_editor, source="accounts", target="checklists")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("checklists", "0009_pins_moved_to_accounts"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
