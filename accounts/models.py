"""What a person needs on a shared tablet: a quick-switch PIN, and the count of wrong ones.

Both models began in ``checklists`` and moved here without touching the database: their tables
keep the names they were created with (migrations accounts 0001 and checklists 0009).
"""

from django.conf import settings
from django.db import models


class StaffProfile(models.Model):
    """What a person needs on a shared tablet: a PIN for the quick user switch.

    The PIN is hashed with Django's password hashers, like a password. Five wrong PINs lock it
    for a while (see accounts.pins); the counters live here, in the database, so that every
    web process sees the same lock.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
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
