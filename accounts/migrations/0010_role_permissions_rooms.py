"""Rooms and wall displays: administrators add and retire rooms, and enrol displays. The roles
again, now that ``accounts.roles.PERMISSIONS`` names the permissions of the models of 0009.
Going back leaves the groups as they are."""

from django.db import migrations

from accounts import roles


def apply_roles(apps, schema_editor):
    roles.apply_permissions(apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0009_rooms_and_wall_displays")]

    operations = [migrations.RunPython(apply_roles, migrations.RunPython.noop)]
