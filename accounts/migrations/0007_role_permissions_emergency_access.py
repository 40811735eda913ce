"""Emergency access: OR staff and surgeons may ask for it, administrators read and sign off each
one. The roles again, now that ``accounts.roles.PERMISSIONS`` names the permissions of
``review.EmergencyAccess`` (made by review 0004). Going back leaves the groups as they are."""

from django.db import migrations

from accounts import roles


def apply_roles(apps, schema_editor):
    roles.apply_permissions(apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_enrolled_device"),
        ("review", "0004_emergency_access"),
    ]

    operations = [migrations.RunPython(apply_roles, migrations.RunPython.noop)]
