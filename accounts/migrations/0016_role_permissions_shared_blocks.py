"""Shared blocks: administrators edit and publish them as they do procedures' drafts. The roles
again, now that ``accounts.roles.PERMISSIONS`` names the permissions of ``procedures.Block``,
``BlockVersion`` and ``BlockStep`` (made by procedures 0013). Going back leaves the groups as
they are."""

from django.db import migrations

from accounts import roles


def apply_roles(apps, schema_editor):
    roles.apply_permissions(apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0015_role_permissions_procedure_versions"),
        ("procedures", "0013_shared_blocks"),
    ]

    operations = [migrations.RunPython(apply_roles, migrations.RunPython.noop)]
