"""Administrators set and reset quick-switch PINs in the user admin."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = ["add_staffprofile", "change_staffprofile", "view_staffprofile"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("checklists")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.get(name="Administrator")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="checklists", codename__in=PERMISSIONS)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Administrator").first()
    if group:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="checklists", codename__in=PERMISSIONS
            )
        )


class Migration(migrations.Migration):
    dependencies = [("checklists", "0003_staff_profile")]

    operations = [migrations.RunPython(grant, revoke)]
