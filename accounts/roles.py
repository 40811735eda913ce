"""The roles of SI Tracker, as Django groups, and what each role may do.

``PERMISSIONS`` is the one statement of each role's permissions; migrations make the groups
match it (``apply_permissions``, first run by migration accounts 0003). To change what a role
may do, change ``PERMISSIONS`` and add a migration that runs ``apply_permissions`` again, after
the migrations that create any permission it newly names; tests/site/test_roles.py holds every
group to ``PERMISSIONS``.
"""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import DEFAULT_DB_ALIAS

OR_STAFF = "OR staff"
SURGEON = "Surgeon"
REVIEWER = "Reviewer"
ADMINISTRATOR = "Administrator"

ROLES = (OR_STAFF, SURGEON, REVIEWER, ADMINISTRATOR)

# Scheduling cases and working through their checklists on the tablet.
CASE_WORK = frozenset(
    {
        "checklists.view_case",
        "checklists.add_case",
        "checklists.record_step",
        "checklists.cancel_case",
        "procedures.view_procedure",
        # Emergency access ("break-glass"): a case's review record, for a reason, for a while.
        "review.add_emergencyaccess",
    }
)
# Reading, exporting and filing completed cases, with their audit trail.
REVIEW_WORK = frozenset(
    {
        "checklists.view_case",
        "checklists.review_case",
        "checklists.export_case",
        "checklists.view_auditevent",
        "procedures.view_procedure",
    }
)

PERMISSIONS: dict[str, frozenset[str]] = {
    OR_STAFF: CASE_WORK,
    SURGEON: CASE_WORK | {"checklists.sign_case"},
    REVIEWER: REVIEW_WORK,
    ADMINISTRATOR: REVIEW_WORK
    | {
        # Procedure templates.
        "procedures.add_procedure",
        "procedures.change_procedure",
        "procedures.delete_procedure",
        "procedures.add_step",
        "procedures.change_step",
        "procedures.delete_step",
        "procedures.view_step",
        # Versions of a template: a draft made, edited, discarded, published with its note.
        "procedures.add_procedureversion",
        "procedures.change_procedureversion",
        "procedures.delete_procedureversion",
        "procedures.view_procedureversion",
        "procedures.publish_procedureversion",
        # Shared blocks (the WHO phases procedures include): edited and published the same way;
        # publishing one publishes the procedures that include it.
        "procedures.add_block",
        "procedures.change_block",
        "procedures.view_block",
        "procedures.add_blockversion",
        "procedures.change_blockversion",
        "procedures.delete_blockversion",
        "procedures.view_blockversion",
        "procedures.publish_blockversion",
        "procedures.add_blockstep",
        "procedures.change_blockstep",
        "procedures.delete_blockstep",
        "procedures.view_blockstep",
        # A case's whole record in the admin, read-only.
        "checklists.view_casestep",
        "checklists.view_implant",
        "checklists.view_signature",
        # People, their roles and their quick-switch PINs (the user admin).
        "auth.add_user",
        "auth.change_user",
        "auth.view_user",
        "auth.view_group",
        "accounts.add_staffprofile",
        "accounts.change_staffprofile",
        "accounts.view_staffprofile",
        # Tablets enrolled for the quick user switch: enrol (on the tablet), read, revoke; rooms'
        # wall displays, enrolled with a one-time code.
        "accounts.add_enrolleddevice",
        "accounts.change_enrolleddevice",
        "accounts.view_enrolleddevice",
        "accounts.add_displaypairing",
        "accounts.view_displaypairing",
        # The operating rooms: added, retired.
        "accounts.add_room",
        "accounts.change_room",
        "accounts.view_room",
        # Emergency accesses: read each one and sign it off (the only change the admin allows).
        "review.view_emergencyaccess",
        "review.change_emergencyaccess",
        # The device catalogue: administrators keep it (a device no longer stocked is made
        # inactive, not deleted).
        "catalogue.add_device",
        "catalogue.change_device",
        "catalogue.view_device",
        # Recalls: recorded by administrators; a recalled device is refused at the scan.
        "catalogue.add_recall",
        "catalogue.change_recall",
        "catalogue.view_recall",
        # Integrations' API tokens: made (shown once), their scopes and expiry changed, revoked
        # (never deleted); the API's documentation (/api/docs/) is theirs too.
        "accounts.add_apitoken",
        "accounts.change_apitoken",
        "accounts.view_apitoken",
        # Sign-in attempts kept by django-axes: read only, like the audit trail.
        "axes.view_accessattempt",
        "axes.view_accessfailurelog",
        "axes.view_accesslog",
    },
}


def apply_permissions(apps: Apps, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Give each role exactly its ``PERMISSIONS`` (creating the groups if need be).

    ``apps`` is a migration's historical registry (or the real one). A permission whose model a
    migration has not made yet at that point of the history is left for a later migration
    that applies the roles again; the tests compare the migrated groups with ``PERMISSIONS``.
    """
    # Django creates permissions after a migrate; the groups need them now.
    for app_config in apps.get_app_configs():
        # (create_permissions skips an app without models_module: historical apps have none.)
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = True  # type: ignore[assignment]  # only its truth is read
        create_permissions(app_config, apps=apps, verbosity=0, using=using)
        app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    existing = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.using(using).values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    for role, permissions in PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=role)
        group.permissions.set([existing[name] for name in permissions if name in existing])
