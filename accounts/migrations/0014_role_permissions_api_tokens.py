"""API tokens: administrators make and revoke them. The roles again, now that
``accounts.roles.PERMISSIONS`` names the permissions of ``accounts.ApiToken`` (made by 0013).
Going back leaves the groups as they are."""

from django.db import migrations

from accounts import roles


def apply_roles(apps, schema_editor):
    roles.apply_permissions(apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0013_api_tokens")]

    operations = [migrations.RunPython(apply_roles, migrations.RunPython.noop)]
