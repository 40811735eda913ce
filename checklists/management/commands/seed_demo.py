"""Demo accounts and a day of demo cases, for trying SI Tracker out."""

import secrets
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts import pins, roles
from accounts.choices import ClinicalRole
from accounts.models import StaffProfile
from catalogue.imports import SAMPLE_FILE, import_devices
from checklists.demo import seed_demo_day

# No 0/o, 1/l/i: the password is read off a terminal and typed on a tablet.
READABLE_CHARACTERS = "abcdefghjkmnpqrstuvwxyz23456789"


class DemoUser(NamedTuple):
    username: str
    first_name: str
    last_name: str
    role: str
    pin: str = ""  # for the tablet's quick user switch; only people who work the tablet
    clinical_role: str = ""  # what they do in theatre: the steps they record as their own


DEMO_USERS = (
    DemoUser("nurse", "Nora", "Nurse", roles.OR_STAFF, "2468", ClinicalRole.NURSE),
    DemoUser("scrub", "Sam", "Scrub", roles.OR_STAFF, "1357", ClinicalRole.SCRUB),
    DemoUser("anaesthetist", "Ana", "Sthetist", roles.OR_STAFF, "3579", ClinicalRole.ANAESTHETIST),
    DemoUser("surgeon", "Sue", "Surgeon", roles.SURGEON, "8642", ClinicalRole.SURGEON),
    DemoUser("reviewer", "Rae", "Reviewer", roles.REVIEWER),
    DemoUser("admin", "Ada", "Admin", roles.ADMINISTRATOR),
)


def generate_password() -> str:
    """Twelve characters in three groups, e.g. ``k7mq-x2rt-9fhw`` (about 59 bits)."""
    groups = ("".join(secrets.choice(READABLE_CHARACTERS) for _ in range(4)) for _ in range(3))
    return "-".join(groups)


def seed_users(*, password: str) -> dict[str, User]:
    """Creates or resets the demo users, each in exactly its role's group, with ``password``."""
    groups = {group.name: group for group in Group.objects.filter(name__in=roles.ROLES)}
    missing = set(roles.ROLES) - set(groups)
    if missing:
        raise CommandError(
            f"The role groups {', '.join(sorted(missing))} do not exist yet: run migrate first."
        )
    users = {}
    for demo in DEMO_USERS:
        user, _ = get_user_model().objects.update_or_create(
            username=demo.username,
            defaults={
                "first_name": demo.first_name,
                "last_name": demo.last_name,
                "is_active": True,
                # Administrators work in the Django admin, but nobody bypasses permissions.
                "is_staff": demo.role == roles.ADMINISTRATOR,
                "is_superuser": False,
            },
        )
        user.set_password(password)
        user.save(update_fields=["password"])
        user.groups.set([groups[demo.role]])
        if demo.pin:
            pins.set_pin(user=user, pin=demo.pin)
        if demo.clinical_role:
            StaffProfile.objects.update_or_create(
                user=user, defaults={"clinical_role": demo.clinical_role}
            )
        users[demo.username] = user
    return users


class Command(BaseCommand):
    help = (
        "Creates (or resets) the demo users nurse, scrub, anaesthetist, surgeon, reviewer and "
        "admin, loads the sample device catalogue (made-up SI fusion devices of fictitious "
        "companies) and makes a day of demo cases. Only with DEBUG on, unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password", help="password for every demo user (default: generate one and print it)"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="run even with DEBUG off (this creates accounts with a shared password)",
        )

    def handle(self, *args: Any, password: str | None, force: bool, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts that share one password, so it only runs with "
                "DEBUG on (DJANGO_DEBUG=1). Use --force if you really want demo users here."
            )
        if password == "":
            raise CommandError("--password must not be empty.")
        generated = password is None
        password = generate_password() if password is None else password

        with transaction.atomic():
            users = seed_users(password=password)
            devices = import_devices(SAMPLE_FILE.read_bytes())
            cases = seed_demo_day(users=users, password=password, day=timezone.localdate())

        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(users)} users, {cases} cases, "
                f"{devices.added + devices.updated + devices.unchanged} devices in the catalogue."
            )
        )
        self.stdout.write("")
        self.stdout.write(f"  {'username':<14}{'name':<16}{'role':<15}PIN (Switch user)")
        for demo in DEMO_USERS:
            name = f"{demo.first_name} {demo.last_name}"
            self.stdout.write(f"  {demo.username:<14}{name:<16}{demo.role:<15}{demo.pin or '-'}")
        self.stdout.write("")
        if generated:
            self.stdout.write(f"  Password for every demo user: {password}")
        else:
            self.stdout.write("  Password for every demo user: the one given with --password")
