"""accounts.backends.RoleBackend: ModelBackend's answers, in one query, kept for one request."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse

from accounts import roles
from accounts.backends import RoleBackend
from tests.conftest import PASSWORD, make_case, make_procedure, make_user

pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    """The user as a new request sees them: read again, nothing remembered."""
    return User.objects.get(pk=user.pk)


def people() -> list[User]:
    """Every role, and the awkward ones: two roles, a direct permission, no role, inactive."""
    everyone = [make_user(f"person-{index}", role) for index, role in enumerate(roles.ROLES)]
    two_roles = make_user("two-roles", roles.OR_STAFF)
    two_roles.groups.add(Group.objects.get(name=roles.REVIEWER))
    direct = make_user("direct", roles.REVIEWER)
    direct.user_permissions.add(Permission.objects.get(codename="add_case"))
    nobody = User.objects.create_user("no-role", password=PASSWORD)
    inactive = make_user("inactive", roles.SURGEON)
    inactive.is_active = False
    inactive.save()
    superuser = User.objects.create_superuser("root", password=PASSWORD)
    return [*everyone, two_roles, direct, nobody, inactive, superuser]


def test_permissions_are_those_of_djangos_model_backend():
    for person in people():
        expected = ModelBackend().get_all_permissions(fresh(person))
        assert RoleBackend().get_all_permissions(fresh(person)) == expected, person.username
        for permission in ("checklists.record_step", "checklists.sign_case", "checklists.add_case"):
            assert fresh(person).has_perm(permission) == (permission in expected), (
                person.username,
                permission,
            )


def test_a_direct_permission_and_two_roles_add_up():
    direct = make_user("direct", roles.REVIEWER)
    direct.user_permissions.add(Permission.objects.get(codename="add_case"))
    found = RoleBackend().get_all_permissions(fresh(direct))
    assert {"checklists.add_case", "checklists.review_case"} <= found
    assert "checklists.record_step" not in found


def test_the_permissions_cost_one_query_and_are_asked_once_per_request(
    nurse, django_assert_num_queries
):
    user = fresh(nurse)
    with django_assert_num_queries(1):
        assert user.has_perm("checklists.record_step")
        assert user.has_perms(["checklists.view_case", "checklists.record_step"])
        assert not user.has_perm("checklists.sign_case")


def test_a_role_taken_away_counts_from_the_next_request(client, nurse, surgeon):
    case = make_case(make_procedure({"title": "Check"}), actor=nurse, surgeon=surgeon)
    client.force_login(nurse)
    assert client.get(reverse("case-detail", args=[case.pk])).status_code == 200
    nurse.groups.clear()
    assert client.get(reverse("case-detail", args=[case.pk])).status_code == 403
    nurse.groups.add(Group.objects.get(name=roles.OR_STAFF))
    assert client.get(reverse("case-detail", args=[case.pk])).status_code == 200


def test_a_password_login_is_served_by_the_role_backend(client, nurse):
    answer = client.post(reverse("login"), {"username": "nurse", "password": PASSWORD})
    assert answer.status_code == 302
    assert client.session["_auth_user_backend"] == "accounts.backends.RoleBackend"


def test_a_pin_switch_is_served_by_the_role_backend(client, nurse):
    from accounts import pins

    pins.set_pin(user=nurse, pin="4821")
    answer = client.post(reverse("switch-user"), {"username": "nurse", "pin": "4821"})
    assert answer.status_code == 302
    assert client.session["_auth_user_backend"] == "accounts.backends.RoleBackend"
