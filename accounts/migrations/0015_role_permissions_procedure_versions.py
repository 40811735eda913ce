"""Procedure versions: administrators make, edit and publish drafts. The roles again, now that
``accounts.roles.PERMISSIONS`` names the permissions of ``procedures.ProcedureVersion`` (made by
procedures 0007). Going back leaves the groups as they are."""

from django.db import migrations

from accounts import roles


def apply_roles(apps, schema_editor):
    roles.apply_permissions(apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0014_role_permissions_api_tokens"),
        ("procedures", "0009_steps_belong_to_versions"),
    ]

    operations = [migrations.RunPython(apply_roles, migrations.RunPython.noop)]
