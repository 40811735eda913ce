"""What a person needs on a shared tablet: a quick-switch PIN, and the count of wrong ones; and
the tablets an administrator enrolled.

StaffProfile and PinFailure began in ``checklists`` and moved here without touching the
database: their tables keep the names they were created with (accounts 0001, checklists 0009).
"""

from django.conf import settings
from django.db import models

from accounts.choices import ClinicalRole, DeviceKind


class StaffProfile(models.Model):
    """What a person needs on a shared tablet: a PIN for the quick user switch.

    The PIN is hashed with Django's password hashers, like a password. Five wrong PINs lock it
    for a while (see accounts.pins); the counters live here, in the database, so that every
    web process sees the same lock.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    clinical_role = models.CharField(
        max_length=16,
        choices=ClinicalRole.choices,
        blank=True,
        help_text=(
            "What this person does in theatre. A step recorded by someone who does not hold "
            "its role is recorded “for” that role; blank: every step is."
        ),
    )
    pin_hash = models.CharField(max_length=128, blank=True)
    pin_failures = models.PositiveSmallIntegerField(default=0)
    pin_locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "checklists_staffprofile"

    def __str__(self) -> str:
        return f"Profile of {self.user}"

    @property
    def has_pin(self) -> bool:
        return bool(self.pin_hash)


class PinFailure(models.Model):
    """A wrong PIN typed on a switch screen, kept while it counts towards the per-address limit.

    A person's own lock (StaffProfile) stops guessing one PIN; this stops one device from trying
    a few PINs on everyone in turn (see accounts.pins).
    """

    remote_addr = models.GenericIPAddressField()
    at = models.DateTimeField()

    class Meta:
        db_table = "checklists_pinfailure"
        # The index's name as the database has it (made while the model lived in checklists).
        indexes = [
            models.Index(fields=["remote_addr", "at"], name="checklists__remote__268109_idx")
        ]

    def __str__(self) -> str:
        return f"Wrong PIN from {self.remote_addr}"


class PinAddress(models.Model):
    """An address that has typed a PIN on a switch screen: its row is the lock that makes the
    per-address limit hold (accounts.pins).

    Every PIN check from the address locks this row first, so counting the address's recent
    wrong PINs, checking the PIN and recording a miss are one step, however many web servers
    share the database. Without it, parallel requests each counted nine misses and went on.
    """

    remote_addr = models.GenericIPAddressField(unique=True)

    def __str__(self) -> str:
        return f"PIN checks from {self.remote_addr}"


class EnrolledDevice(models.Model):
    """A browser an administrator enrolled for one purpose (``kind``): for now a shared tablet
    whose switch screen lists the names of the people who may take it over by PIN (elsewhere the
    screen asks for a username, and shows nobody's name).

    The browser holds a long random token in an HttpOnly cookie (accounts.devices); only its
    SHA-256 is stored, so a copy of this table enrols nobody. A device is revoked, never
    deleted: who enrolled it and when, who revoked it and when, stay on the row, and each act
    is in the admin's history of the device.
    """

    name = models.CharField(max_length=100, help_text="Where it is, e.g. “OR 3 cart”.")
    kind = models.CharField(max_length=20, choices=DeviceKind.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    enrolled_at = models.DateTimeField(editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-enrolled_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(revoked_at__isnull=True, revoked_by__isnull=True)
                | models.Q(revoked_at__isnull=False, revoked_by__isnull=False),
                name="enrolleddevice_revoked_by_whom_and_when",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display().lower()})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
