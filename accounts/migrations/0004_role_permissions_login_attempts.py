"""Administrators read sign-in attempts (django-axes) in the admin: the roles again, now that
``accounts.roles.PERMISSIONS`` names the axes models' view permissions. Going back leaves the
groups as they are."""

from django.db import migrations

from accounts import roles


def apply_roles(apps, schema_editor):
    roles.apply_permissions(apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_role_permissions"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(apply_roles, migrations.RunPython.noop)]
