"""Enrolling a tablet for the quick user switch (/devices/enrol/), and revoking it in the admin."""

import hashlib

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType

from accounts import devices, pins
from accounts.choices import DeviceKind
from accounts.models import EnrolledDevice
from tests.conftest import enrol_tablet

URL = "/devices/enrol/"


def history(device: EnrolledDevice) -> list[tuple[int, int, str]]:
    """The device's entries in the admin's log: (action, user id, message), oldest first."""
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(EnrolledDevice), object_id=str(device.pk)
    ).order_by("action_time", "pk")
    return [(e.action_flag, e.user_id, e.change_message) for e in entries]


@pytest.fixture
def nurse_pin(nurse):
    pins.set_pin(user=nurse, pin="4827")


def test_an_administrator_enrols_the_tablet_she_is_using(administrator_client, administrator):
    response = administrator_client.post(URL, {"name": "OR 3 cart"})

    assert response.status_code == 302
    assert response["Location"] == URL
    device = EnrolledDevice.objects.get()
    assert (device.name, device.kind) == ("OR 3 cart", DeviceKind.SWITCH_TABLET)
    assert device.enrolled_by == administrator and device.is_active
    cookie = response.cookies[devices.COOKIE]
    assert len(cookie.value) >= 43  # 256 random bits
    assert device.token_hash == hashlib.sha256(cookie.value.encode()).hexdigest()
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert history(device) == [(ADDITION, administrator.pk, "Enrolled as “OR 3 cart”.")]


def test_the_enrolled_tablet_then_lists_names_once_the_administrator_logs_out(
    administrator_client, nurse_pin
):
    administrator_client.post(URL, {"name": "OR 3 cart"})
    administrator_client.post("/accounts/logout/")

    page = administrator_client.get("/switch/")

    assert "Nora Nurse" in page.text


def test_the_token_is_kept_by_the_browser_only(administrator_client):
    response = administrator_client.post(URL, {"name": "OR 3 cart"})
    token = response.cookies[devices.COOKIE].value

    row = EnrolledDevice.objects.values().get()
    assert token not in {str(value) for value in row.values()}


def test_the_cookie_is_https_only_in_production(administrator_client, settings):
    settings.SESSION_COOKIE_SECURE = True

    response = administrator_client.post(URL, {"name": "OR 3 cart"})

    assert response.cookies[devices.COOKIE]["secure"]


def test_the_page_says_what_this_browser_is_enrolled_as(administrator_client, administrator):
    enrol_tablet(administrator_client, by=administrator, name="OR 5 cart")

    page = administrator_client.get(URL)

    assert page.status_code == 200
    assert "This browser is enrolled as “OR 5 cart”" in page.text


def test_enrolling_a_browser_again_revokes_what_it_was(administrator_client, administrator):
    old = enrol_tablet(administrator_client, by=administrator, name="OR 5 cart")

    administrator_client.post(URL, {"name": "OR 6 cart"})

    old.refresh_from_db()
    assert not old.is_active and old.revoked_by == administrator
    assert history(old)[-1] == (
        CHANGE,
        administrator.pk,
        "Replaced: its browser was enrolled again.",
    )
    assert EnrolledDevice.objects.get(revoked_at__isnull=True).name == "OR 6 cart"


@pytest.mark.parametrize("name", ["", " ", "x" * 101])
def test_a_name_is_required_and_bounded(administrator_client, name):
    response = administrator_client.post(URL, {"name": name})

    assert response.status_code == 400
    assert not EnrolledDevice.objects.exists()
    assert devices.COOKIE not in response.cookies


@pytest.mark.parametrize("who", ["nurse", "surgeon", "reviewer"])
def test_only_administrators_enrol(db, client, request, who):
    client.force_login(request.getfixturevalue(who))

    assert client.get(URL).status_code == 403
    assert client.post(URL, {"name": "Mine now"}).status_code == 403
    assert not EnrolledDevice.objects.exists()


def test_the_admins_add_button_leads_to_the_enrolment_page(administrator_client):
    response = administrator_client.get("/admin/accounts/enrolleddevice/add/")

    assert response.status_code == 302
    assert response["Location"] == URL


def test_an_administrator_revokes_a_tablet_in_the_admin(
    client, administrator_client, administrator, nurse_pin
):
    tablet = enrol_tablet(client, by=administrator)
    listing = administrator_client.get("/admin/accounts/enrolleddevice/")
    assert "OR 3 cart" in listing.text and "active" in listing.text

    administrator_client.post(
        "/admin/accounts/enrolleddevice/",
        {"action": "revoke", "_selected_action": [tablet.pk]},
    )

    tablet.refresh_from_db()
    assert not tablet.is_active and tablet.revoked_by == administrator
    assert history(tablet)[-1] == (CHANGE, administrator.pk, "Revoked.")
    client.logout()
    assert "Nora Nurse" not in client.get("/switch/").text


def test_revoking_twice_changes_and_logs_nothing_more(administrator, client):
    tablet = enrol_tablet(client, by=administrator)
    devices.revoke(device=tablet, by=administrator)
    revoked_at = tablet.revoked_at

    devices.revoke(device=tablet, by=administrator)

    assert tablet.revoked_at == revoked_at
    assert [action for action, _, _ in history(tablet)] == [ADDITION, CHANGE]


def test_a_tablet_is_never_edited_or_deleted_in_the_admin(administrator_client, administrator):
    tablet = enrol_tablet(administrator_client, by=administrator)
    url = f"/admin/accounts/enrolleddevice/{tablet.pk}/"

    page = administrator_client.get(f"{url}change/")
    assert page.status_code == 200 and 'name="name"' not in page.text
    administrator_client.post(f"{url}change/", {"name": "Renamed"})
    assert administrator_client.post(f"{url}delete/", {"post": "yes"}).status_code == 403

    tablet.refresh_from_db()
    assert tablet.name == "OR 3 cart" and tablet.is_active
