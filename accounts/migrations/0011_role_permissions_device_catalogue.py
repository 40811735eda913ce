"""The device catalogue: administrators add and change its devices. The roles again, now that
``accounts.roles.PERMISSIONS`` names the permissions of ``catalogue.Device`` (made by
catalogue 0001). Going back leaves the groups as they are."""

from django.db import migrations

from accounts import roles


def apply_roles(apps, schema_editor):
    roles.apply_permissions(apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_role_permissions_rooms"),
        ("catalogue", "0001_initial"),
    ]

    operations = [migrations.RunPython(apply_roles, migrations.RunPython.noop)]
