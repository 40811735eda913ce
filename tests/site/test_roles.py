"""The four roles are groups whose permissions are exactly those declared in accounts.roles."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission

from accounts import roles

OR_STAFF = {
    "checklists.view_case",
    "checklists.add_case",
    "checklists.record_step",
    "checklists.cancel_case",
    "procedures.view_procedure",
    # Emergency access to a case's review record, for a reason.
    "review.add_emergencyaccess",
}
SURGEON = OR_STAFF | {"checklists.sign_case"}
REVIEWER = {
    "checklists.view_case",
    "checklists.review_case",
    "checklists.export_case",
    "checklists.view_auditevent",
    "procedures.view_procedure",
}
ADMINISTRATOR = REVIEWER | {
    "procedures.add_procedure",
    "procedures.change_procedure",
    "procedures.delete_procedure",
    "procedures.add_step",
    "procedures.change_step",
    "procedures.delete_step",
    "procedures.view_step",
    "procedures.add_procedureversion",
    "procedures.change_procedureversion",
    "procedures.delete_procedureversion",
    "procedures.view_procedureversion",
    "procedures.publish_procedureversion",
    # Shared blocks, edited and published as procedures are.
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
    "checklists.view_casestep",
    "checklists.view_implant",
    "checklists.view_signature",
    "auth.add_user",
    "auth.change_user",
    "auth.view_user",
    "auth.view_group",
    # Quick-switch PINs are set in the user admin.
    "accounts.add_staffprofile",
    "accounts.change_staffprofile",
    "accounts.view_staffprofile",
    # Tablets enrolled for the quick user switch.
    "accounts.add_enrolleddevice",
    "accounts.change_enrolleddevice",
    "accounts.view_enrolleddevice",
    # Rooms' wall displays, enrolled with a one-time code; the rooms themselves.
    "accounts.add_displaypairing",
    "accounts.view_displaypairing",
    "accounts.add_room",
    "accounts.change_room",
    "accounts.view_room",
    # Emergency accesses, read and signed off in the admin.
    "review.view_emergencyaccess",
    "review.change_emergencyaccess",
    # The device catalogue, kept in the admin.
    "catalogue.add_device",
    "catalogue.change_device",
    "catalogue.view_device",
    "catalogue.add_recall",
    "catalogue.change_recall",
    "catalogue.view_recall",
    # Sign-in attempts (django-axes), read in the admin.
    "axes.view_accessattempt",
    "axes.view_accessfailurelog",
    "axes.view_accesslog",
    "accounts.add_apitoken",
    "accounts.change_apitoken",
    "accounts.view_apitoken",
}


def permissions_of(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_exactly_the_four_roles_exist(db):
    assert set(Group.objects.values_list("name", flat=True)) == {
        "OR staff",
        "Surgeon",
        "Reviewer",
        "Administrator",
    }
    assert set(roles.ROLES) == {"OR staff", "Surgeon", "Reviewer", "Administrator"}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (roles.OR_STAFF, OR_STAFF),
        (roles.SURGEON, SURGEON),
        (roles.REVIEWER, REVIEWER),
        (roles.ADMINISTRATOR, ADMINISTRATOR),
    ],
)
def test_each_role_has_exactly_its_permissions(db, role, expected):
    assert permissions_of(role) == expected


@pytest.mark.parametrize("role", roles.ROLES)
def test_the_migrations_give_each_role_exactly_its_declared_permissions(db, role):
    assert permissions_of(role) == roles.PERMISSIONS[role]


def test_applying_the_roles_again_changes_nothing_and_takes_away_what_was_added(db):
    Group.objects.get(name=roles.REVIEWER).permissions.add(
        Permission.objects.get(content_type__app_label="checklists", codename="sign_case")
    )

    roles.apply_permissions(apps)
    roles.apply_permissions(apps)

    assert {role: permissions_of(role) for role in roles.ROLES} == roles.PERMISSIONS


def test_only_surgeons_sign_out(surgeon, nurse, reviewer, administrator):
    assert surgeon.has_perm("checklists.sign_case")
    assert not nurse.has_perm("checklists.sign_case")
    assert not reviewer.has_perm("checklists.sign_case")
    assert not administrator.has_perm("checklists.sign_case")


def test_reviewers_review_but_do_not_record_steps(reviewer):
    assert reviewer.has_perm("checklists.review_case")
    assert reviewer.has_perm("checklists.export_case")
    assert not reviewer.has_perm("checklists.record_step")


def test_or_staff_record_steps_but_do_not_review_or_edit_templates(nurse):
    assert nurse.has_perm("checklists.record_step")
    assert not nurse.has_perm("checklists.review_case")
    assert not nurse.has_perm("procedures.change_step")


def test_administrators_edit_templates_but_do_not_record_steps(administrator):
    assert administrator.has_perm("procedures.change_step")
    assert administrator.has_perm("procedures.add_step")
    assert not administrator.has_perm("checklists.record_step")
