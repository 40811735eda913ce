from django.contrib.auth.models import User

from accounts import pins, roles
from tests.conftest import make_user


def test_an_administrator_cannot_grant_superuser_or_direct_permissions(client, administrator):
    nurse = make_user("nurse2", roles.OR_STAFF)
    client.force_login(administrator)

    page = client.get(f"/admin/auth/user/{nurse.pk}/change/")

    assert page.status_code == 200
    assert 'name="groups"' in page.text
    assert 'name="is_superuser"' not in page.text
    assert 'name="user_permissions"' not in page.text


def change_form_data(client, user, **extra) -> dict:
    """The user change form as the admin renders it, ready to post back."""
    page = client.get(f"/admin/auth/user/{user.pk}/change/")
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "groups": [g.pk for g in user.groups.all()],
            "is_superuser": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "08:00:00",
            "last_login_0": "",
            "last_login_1": "",
        }
    )
    data.pop("date_joined", None)
    data.pop("last_login", None)
    data["is_active"] = "on"
    data["is_staff"] = "on"
    data.update(
        {
            "staff_profile-TOTAL_FORMS": "1",
            "staff_profile-INITIAL_FORMS": "0",
            "staff_profile-MIN_NUM_FORMS": "0",
            "staff_profile-MAX_NUM_FORMS": "1",
            "staff_profile-0-new_pin": "",
        }
    )
    data.update(extra)
    return data


def test_a_forged_superuser_field_is_ignored(client, administrator):
    client.force_login(administrator)
    data = change_form_data(client, administrator)
    response = client.post(f"/admin/auth/user/{administrator.pk}/change/", data)

    assert response.status_code == 302, response.text[:2000]
    administrator.refresh_from_db()
    assert administrator.is_superuser is False


def test_an_administrator_does_not_see_superuser_accounts(client, administrator):
    root = User.objects.create_superuser("root", password="x" * 12)
    client.force_login(administrator)
    assert client.get(f"/admin/auth/user/{root.pk}/change/").status_code in (302, 404)
    assert "root" not in client.get("/admin/auth/user/").text


def test_an_administrator_sets_a_pin_for_someone(client, administrator):
    nurse = make_user("nurse3", roles.OR_STAFF)
    client.force_login(administrator)
    data = change_form_data(client, nurse, **{"staff_profile-0-new_pin": "4827"})
    data["is_staff"] = ""

    response = client.post(f"/admin/auth/user/{nurse.pk}/change/", data)

    assert response.status_code == 302, response.text[:3000]
    pins.check_pin(user=nurse, pin="4827")


def test_the_admin_refuses_a_trivial_pin(client, administrator):
    nurse = make_user("nurse4", roles.OR_STAFF)
    client.force_login(administrator)
    data = change_form_data(client, nurse, **{"staff_profile-0-new_pin": "1111"})

    response = client.post(f"/admin/auth/user/{nurse.pk}/change/", data)

    assert response.status_code == 200
    assert "repeated" in response.text
