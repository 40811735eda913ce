"""Recalls: administrators record them. The roles again, now that ``accounts.roles.PERMISSIONS``
names the permissions of ``catalogue.Recall`` (made by catalogue 0002). Going back leaves the
groups as they are."""

from django.db import migrations

from accounts import roles


def apply_roles(apps, schema_editor):
    roles.apply_permissions(apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0011_role_permissions_device_catalogue"),
        ("catalogue", "0002_recall"),
    ]

    operations = [migrations.RunPython(apply_roles, migrations.RunPython.noop)]
