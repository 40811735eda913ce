import io
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.http import HttpRequest

from accounts import roles

DEMO_ROLES = {
    "nurse": roles.OR_STAFF,
    "scrub": roles.OR_STAFF,
    "anaesthetist": roles.OR_STAFF,
    "surgeon": roles.SURGEON,
    "reviewer": roles.REVIEWER,
    "admin": roles.ADMINISTRATOR,
}


def can_log_in(client, username: str, password: str) -> bool:
    # django-axes throttles logins by the client's address, so authenticate() needs a request.
    return client.login(request=HttpRequest(), username=username, password=password)


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def printed_password(output: str) -> str:
    match = re.search(r"Password for every demo user: (\S+)", output)
    assert match, output
    return match.group(1)


def test_it_creates_the_six_demo_users_in_their_groups(db, debug_on):
    seed("--password", "Theatre-4-demo")

    users = User.objects.filter(username__in=DEMO_ROLES)
    assert {user.username: [g.name for g in user.groups.all()] for user in users} == {
        username: [role] for username, role in DEMO_ROLES.items()
    }
    assert User.objects.get(username="nurse").get_full_name() == "Nora Nurse"
    assert all(user.get_full_name() for user in users)


def test_only_the_administrator_is_staff_and_nobody_is_superuser(db, debug_on):
    seed("--password", "Theatre-4-demo")

    assert list(User.objects.filter(is_staff=True).values_list("username", flat=True)) == ["admin"]
    assert not User.objects.filter(is_superuser=True).exists()


def test_running_it_twice_duplicates_nothing_and_resets_the_password(db, debug_on, client):
    seed("--password", "First-run-pass")
    User.objects.filter(username="nurse").update(first_name="Changed", is_active=False)

    seed("--password", "Second-run-pass")

    assert User.objects.count() == 6
    nurse = User.objects.get(username="nurse")
    assert nurse.get_full_name() == "Nora Nurse"
    assert nurse.groups.count() == 1
    assert can_log_in(client, "nurse", "Second-run-pass")
    assert not can_log_in(client, "surgeon", "First-run-pass")


def test_the_given_password_logs_every_demo_user_in(db, debug_on, client):
    output = seed("--password", "Theatre-4-demo")

    for username in DEMO_ROLES:
        assert can_log_in(client, username, "Theatre-4-demo"), username
    assert "Theatre-4-demo" not in output


def test_without_a_password_it_prints_a_generated_one_that_works(db, debug_on, client):
    output = seed()

    password = printed_password(output)
    assert len(password) >= 12
    assert can_log_in(client, "reviewer", password)


def test_each_run_generates_a_different_password(db, debug_on):
    assert printed_password(seed()) != printed_password(seed())


def test_it_prints_a_table_of_the_demo_logins(db, debug_on):
    output = seed("--password", "Theatre-4-demo")

    for username, role in DEMO_ROLES.items():
        line = rf"^\s*{username}\s+\w+ \w+\s+{role}\s+(\d{{4}}|-)$"
        assert re.search(line, output, re.MULTILINE), username


def test_it_refuses_with_debug_off(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="only runs with DEBUG on"):
        seed("--password", "Theatre-4-demo")
    assert not User.objects.exists()


def test_it_runs_with_debug_off_when_forced(db, settings, client):
    settings.DEBUG = False

    seed("--password", "Theatre-4-demo", "--force")

    assert User.objects.count() == 6
    assert can_log_in(client, "admin", "Theatre-4-demo")


def test_it_creates_a_day_of_cases_in_varied_states_through_the_workflow(db, debug_on):
    from checklists.audit import verify_chains
    from checklists.models import Case

    seed("--password", "demo-pass-123")

    cases = Case.objects.all()
    statuses = sorted(cases.values_list("status", flat=True))
    assert statuses == ["completed", "in_progress", "in_progress", "scheduled", "scheduled"]
    assert cases.filter(laterality="bilateral", status="in_progress").exists()
    completed = cases.get(status="completed")
    assert completed.signatures.get().printed_name == "Sue Surgeon"
    assert not completed.steps.filter(required=True, status="pending").exists()
    assert all(case.audit_events.exists() for case in cases)
    assert verify_chains().ok


def test_running_it_twice_adds_no_cases(db, debug_on):
    from checklists.models import AuditEvent, Case

    seed("--password", "demo-pass-123")
    counts = Case.objects.count(), AuditEvent.objects.count()
    seed("--password", "demo-pass-123")
    assert (Case.objects.count(), AuditEvent.objects.count()) == counts


def test_verify_audit_passes_on_the_demo_data(db, debug_on):
    seed("--password", "demo-pass-123")
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "no breaks" in out.getvalue()


def test_the_tablet_users_get_a_printed_pin_for_the_quick_switch(db, debug_on):
    from accounts import pins

    output = seed("--password", "demo-pass-123")

    assert "2468" in output
    pins.check_pin(user=User.objects.get(username="nurse"), pin="2468")
    reviewer = User.objects.get(username="reviewer")
    assert not hasattr(reviewer, "staff_profile")


def test_it_loads_the_sample_device_catalogue_that_names_the_demo_implants(db, debug_on):
    from catalogue.models import Device
    from checklists.models import Implant

    output = seed("--password", "demo-pass-123")
    seed("--password", "demo-pass-123")

    assert "10 devices in the catalogue" in output
    assert Device.objects.count() == 10
    assert Device.objects.filter(gtin="00812345678901", active=True).exists()
    implants = Implant.objects.all()
    assert implants
    assert all("(fictitious)" in implant.manufacturer for implant in implants)
    assert {implant.product for implant in implants} == {"Exemplar SI Fusion Implant EX-7045"}
