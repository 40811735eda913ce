"""The operating rooms, once free text on each case, become rows of ``accounts.Room``: one per
name the cases already use, active, so that the new-case form offers them. Cases keep the name
as they had it. Going back keeps the rooms (they are harmless, and may have been edited)."""

from django.db import migrations


def rooms_from_cases(apps, schema_editor):
    Case = apps.get_model("checklists", "Case")
    Room = apps.get_model("accounts", "Room")
    alias = schema_editor.connection.alias
    names = Case.objects.using(alias).values_list("room", flat=True).distinct()
    for name in names:
        Room.objects.using(alias).get_or_create(name=name.strip())


class Migration(migrations.Migration):
    dependencies = [
        ("checklists", "0018_access_action_download"),
        ("accounts", "0009_rooms_and_wall_displays"),
    ]

    operations = [migrations.RunPython(rooms_from_cases, migrations.RunPython.noop)]
