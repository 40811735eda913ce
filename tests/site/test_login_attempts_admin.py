"""Administrators read the sign-in attempts django-axes keeps, in the admin, and change nothing."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog

from tests.conftest import PASSWORD
from tests.site.test_login_throttling import WARD_TABLET, WRONG, fail, log_in

# Each list and whom it shows after ``attempts``: the nurse's failures, the scrub's sign-in.
PAGES = {"accessattempt": "nurse", "accessfailurelog": "nurse", "accesslog": "scrub"}


@pytest.fixture
def attempts(client, nurse, scrub):
    """Two wrong passwords for the nurse from the ward's tablet; the scrub signs in there."""
    fail(client, 2)
    log_in(client, username="scrub", password=PASSWORD)
    client.logout()


def test_the_admin_index_offers_the_attempts(attempts, administrator_client):
    index = administrator_client.get("/admin/")

    assert index.status_code == 200
    for model in PAGES:
        assert f'href="/admin/axes/{model}/"' in index.text


# (Not "page": pytest-playwright would take the test for a browser test.)
@pytest.mark.parametrize(("model", "who"), PAGES.items())
def test_an_administrator_reads_each_list(attempts, administrator_client, model, who):
    listing = administrator_client.get(f"/admin/axes/{model}/")

    assert listing.status_code == 200
    assert f">{who}<" in listing.text and WARD_TABLET in listing.text


def test_an_administrator_reads_an_attempt_but_cannot_change_or_delete_it(
    attempts, administrator_client, nurse
):
    attempt = AccessAttempt.objects.get(username="nurse")
    url = f"/admin/axes/accessattempt/{attempt.pk}/"
    kept = (AccessAttempt.objects.count(), AccessFailureLog.objects.count())

    page = administrator_client.get(f"{url}change/")
    assert page.status_code == 200
    assert 'name="username"' not in page.text  # shown, not editable
    administrator_client.post(f"{url}change/", {"username": "someone-else"})
    assert administrator_client.post(f"{url}delete/", {"post": "yes"}).status_code == 403

    attempt.refresh_from_db()
    assert attempt.username == "nurse"
    assert (AccessAttempt.objects.count(), AccessFailureLog.objects.count()) == kept


def test_other_roles_do_not_see_them(attempts, client, reviewer):
    client.force_login(reviewer)

    assert client.get("/admin/axes/accessattempt/").status_code == 302  # to the admin's login


def test_an_attempt_keeps_no_new_pin_or_password_typed_beside_a_wrong_one(client, nurse):
    client.force_login(nurse)
    client.post("/accounts/pin/", {"password": WRONG, "pin": "4827", "pin_again": "4827"})

    [attempt] = AccessAttempt.objects.all()
    assert "4827" not in attempt.post_data
    assert WRONG not in attempt.post_data


def test_an_attempt_keeps_no_new_password_typed_beside_a_wrong_current_one(client, nurse):
    client.force_login(nurse)
    new = "Sacrum-Iliac-2031"
    data = {"old_password": WRONG, "new_password1": new, "new_password2": new}
    client.post("/accounts/password/", data)

    [attempt] = AccessAttempt.objects.all()
    assert new not in attempt.post_data
    assert WRONG not in attempt.post_data
