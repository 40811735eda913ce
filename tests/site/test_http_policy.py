"""Site-wide HTTP policies (sitracker.http_policy): methods, browser features, caching.

The role × URL matrix (tests/security/test_role_url_matrix.py) holds every URL to the 405 and
every signed-in answer to no-store; these tests say what the policies are, one by one.
"""

import pytest
from django.conf import settings

from tests.conftest import make_case, make_procedure

POLICY_FEATURES = {"camera", "microphone", "geolocation", "payment", "usb"}
STATIC = "/static/css/sitracker.css"


@pytest.fixture
def static_files(settings):
    """WhiteNoise serving from the finders, as under `make run` (the test client's handler is
    built at its first request, so the setting is read then)."""
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True


def directives(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


def permissions_policy(response) -> dict[str, str]:
    entries = response["Permissions-Policy"].split(",")
    return dict(entry.strip().split("=", 1) for entry in entries)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/accounts/login/"),
        ("GET", "/switch/"),
        ("GET", "/"),  # the login redirect
        ("GET", "/no-such-page/"),
        ("GET", "/healthz"),
        ("GET", STATIC),
        ("PUT", "/admin/"),
    ],
)
def test_every_response_denies_the_browsers_powerful_features(
    client, db, static_files, method, url
):
    response = client.generic(method, url)

    policy = permissions_policy(response)
    assert set(policy) >= POLICY_FEATURES, url
    assert set(policy.values()) == {"()"}, url


def test_the_camera_is_denied_until_barcode_scanning_needs_it():
    assert settings.PERMISSIONS_POLICY["camera"] == []


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "TRACE", "CONNECT", "BREW"])
def test_a_method_no_page_uses_gets_405_naming_the_ones_the_site_takes(client, nurse, method):
    client.force_login(nurse)

    response = client.generic(method, "/")

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, POST, OPTIONS"


def test_static_files_refuse_it_too(client, db, static_files):
    assert client.get(STATIC).status_code == 200
    assert client.put(STATIC).status_code == 405


def test_a_signed_in_page_may_not_be_stored(client, nurse):
    client.force_login(nurse)

    board = client.get("/")

    assert board.status_code == 200
    assert {"no-store", "private"} <= directives(board)


def test_a_view_that_sets_its_own_caching_keeps_it(client, nurse, surgeon):
    """The checklist is never_cache (stricter: no-cache, must-revalidate, max-age=0 too)."""
    case = make_case(make_procedure({"title": "Only step"}), actor=nurse, surgeon=surgeon)
    client.force_login(nurse)

    page = client.get(f"/cases/{case.pk}/")

    assert {"no-store", "no-cache", "must-revalidate", "max-age=0", "private"} <= directives(page)


def test_the_live_sync_poll_still_answers_304_to_a_signed_in_tablet(client, nurse, surgeon):
    case = make_case(make_procedure({"title": "Only step"}), actor=nurse, surgeon=surgeon)
    client.force_login(nurse)
    headers = {"HX-Request": "true", "If-None-Match": f'"case-{case.pk}-v{case.version}"'}

    poll = client.get(f"/cases/{case.pk}/version", {"since": case.audit_seq}, headers=headers)

    assert poll.status_code == 304
    assert "no-store" in directives(poll)


def test_static_files_stay_cacheable_for_a_signed_in_person(client, nurse, static_files):
    client.force_login(nurse)

    response = client.get(STATIC)

    assert response.status_code == 200
    assert "no-store" not in directives(response)
