"""The per-address PIN limit holds when many wrong PINs arrive at once, through real threads with
their own PostgreSQL connections (several web servers share one database the same way)."""

import threading
from collections import Counter

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connections

from accounts import pins, roles
from accounts.errors import PinRefused
from accounts.models import PinFailure
from tests.conftest import make_user

TABLET = "10.20.0.7"
ATTEMPTS = 24


def try_wrong_pin(username: str, start: threading.Barrier, outcomes: list[str]) -> None:
    try:
        user = User.objects.get(username=username)  # the connection is open before the start
        start.wait(timeout=30)
        pins.check_pin(user=user, pin="0000", remote_addr=TABLET)
        outcomes.append("accepted")
    except PinRefused as refused:
        outcomes.append("paused" if "on this device" in refused.message else "checked")
    except Exception as error:  # anything else is a failure the test must report
        outcomes.append(repr(error))
    finally:
        connections.close_all()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_pins_from_one_address_get_no_more_tries_than_the_limit(reference_data):
    # One person per try: no person's own lock serialises the tries, only the address's.
    names = [f"tablet{n}" for n in range(ATTEMPTS)]
    for name in names:
        pins.set_pin(user=make_user(name, roles.OR_STAFF), pin="4827")
    start = threading.Barrier(ATTEMPTS)
    outcomes: list[str] = []
    threads = [
        threading.Thread(target=try_wrong_pin, args=(name, start, outcomes)) for name in names
    ]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    limit = settings.PIN_MAX_FAILURES_PER_ADDRESS
    assert Counter(outcomes) == {"checked": limit, "paused": ATTEMPTS - limit}
    assert PinFailure.objects.filter(remote_addr=TABLET).count() == limit
