"""Each role's permissions become exactly those ``accounts.roles.PERMISSIONS`` declares.

Until now they were spread over checklists 0002 and 0004; from here on the matrix has one home.
The Administrator's PIN permissions are the accounts ones (accounts 0002 moved them there).
Going back leaves the groups as they are.
"""

from django.db import migrations

from accounts import roles


def apply_roles(apps, schema_editor):
    roles.apply_permissions(apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_pin_content_types"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("procedures", "0001_initial"),
        ("checklists", "0009_pins_moved_to_accounts"),
    ]

    operations = [migrations.RunPython(apply_roles, migrations.RunPython.noop)]
