"""Password guessing at the login page (django-axes): five failures for one username from one
address lock that pair for 15 minutes, even against the right password; every attempt is kept."""

import datetime
import logging

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.utils import timezone

from tests.conftest import PASSWORD

WARD_TABLET = "10.20.0.7"
WRONG = "Guess-Number-7"


def log_in(client, username: str = "nurse", password: str = WRONG, address: str = WARD_TABLET):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def fail(client, times: int, **kwargs) -> None:
    for _ in range(times):
        assert log_in(client, **kwargs).status_code == 200  # the form again, with its error


@pytest.fixture
def locked_nurse(client, nurse):
    fail(client, 4)
    response = log_in(client)  # the fifth
    assert response.status_code == 429
    return response


def test_four_failures_still_let_the_right_password_in(client, nurse):
    fail(client, 4)

    response = log_in(client, password=PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(nurse.pk)


def test_the_fifth_failure_locks_with_a_friendly_page(locked_nurse):
    page = locked_nurse.content.decode()
    assert "<h1>Too many attempts</h1>" in page
    assert "paused for 15 minutes, even with the right password" in page
    assert b'<header class="navbar' in locked_nurse.content  # the site's layout
    for internal in ("axes", "AccessAttempt", "failures_since_start", "Traceback", WRONG):
        assert internal not in page


def test_the_right_password_is_refused_during_the_lock(client, nurse, locked_nurse):
    response = log_in(client, password=PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lock_holds_for_that_username_and_address_only(client, nurse, scrub, locked_nurse):
    assert log_in(client, password=PASSWORD, address="10.20.0.8").status_code == 302
    client.logout()
    assert log_in(client, "scrub", password=PASSWORD).status_code == 302


def test_the_lock_ends_after_15_minutes(client, nurse, locked_nurse):
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - datetime.timedelta(minutes=15, seconds=1)
    )

    assert log_in(client, password=PASSWORD).status_code == 302


def test_a_try_during_the_lock_does_not_prolong_it(client, nurse, locked_nurse):
    locked_at = AccessAttempt.objects.get().attempt_time

    log_in(client)

    assert AccessAttempt.objects.get().attempt_time == locked_at


def test_a_success_clears_the_count(client, nurse):
    fail(client, 4)
    log_in(client, password=PASSWORD)
    client.logout()

    fail(client, 4)

    assert log_in(client, password=PASSWORD).status_code == 302


def test_every_attempt_is_kept_without_its_password(client, nurse):
    fail(client, 2)
    log_in(client, password=PASSWORD)

    failures = AccessFailureLog.objects.order_by("attempt_time")
    assert [(f.username, f.ip_address) for f in failures] == [("nurse", WARD_TABLET)] * 2
    assert AccessLog.objects.filter(username="nurse", ip_address=WARD_TABLET).count() == 1


def test_attempts_leave_no_password_in_the_logs_or_the_database(client, nurse, caplog):
    caplog.set_level(logging.DEBUG)

    fail(client, 4)
    log_in(client)  # the fifth: locked
    log_in(client, password=PASSWORD)  # refused during the lock

    assert caplog.records, "the attempts are logged"
    for record in caplog.records:
        message = record.getMessage()
        assert WRONG not in message and PASSWORD not in message, message
    for attempt in AccessAttempt.objects.all():
        assert WRONG not in attempt.post_data and PASSWORD not in attempt.post_data


def test_the_test_clients_force_login_still_works(client, nurse):
    client.force_login(nurse)

    assert client.get("/").status_code == 200
