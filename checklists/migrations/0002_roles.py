"""Creates the four roles as groups with their permissions.

The permission lists are frozen here on purpose: a migration must mean the same thing forever.
A later change of a role's permissions is a new migration.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

OR_STAFF = [
    "checklists.view_case",
    "checklists.add_case",
    "checklists.record_step",
    "checklists.cancel_case",
    "procedures.view_procedure",
]
REVIEW = [
    "checklists.view_case",
    "checklists.review_case",
    "checklists.export_case",
    "checklists.view_auditevent",
    "procedures.view_procedure",
]
ROLE_PERMISSIONS = {
    "OR staff": OR_STAFF,
    "Surgeon": [*OR_STAFF, "checklists.sign_case"],
    "Reviewer": REVIEW,
    "Administrator": [
        *REVIEW,
        "procedures.add_procedure",
        "procedures.change_procedure",
        "procedures.delete_procedure",
        "procedures.add_step",
        "procedures.change_step",
        "procedures.delete_step",
        "procedures.view_step",
        "checklists.view_casestep",
        "checklists.view_implant",
        "checklists.view_signature",
        "auth.add_user",
        "auth.change_user",
        "auth.view_user",
        "auth.view_group",
    ],
}


def create_roles(apps, schema_editor):
    # Permissions are normally made after migrate; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("procedures", "0001_initial"),
        ("checklists", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
