"""What a person needs on a shared tablet: a quick-switch PIN, and the count of wrong ones; the
operating rooms; the devices an administrator enrolled (tablets, rooms' wall displays); and the
integrations' API tokens.

StaffProfile and PinFailure began in ``checklists`` and moved here without touching the
database: their tables keep the names they were created with (accounts 0001, checklists 0009).
"""

from django.conf import settings
from django.db import models

from accounts.choices import ApiScope, ClinicalRole, DeviceKind
from accounts.text import validate_plain_text


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


class Room(models.Model):
    """An operating room: where cases are scheduled, where a tablet works, where a wall display
    hangs. A case keeps the name its room had when it was scheduled (``Case.room``), as it
    keeps its steps' titles; so a room with cases is retired (``active``), not renamed."""

    name = models.CharField(
        max_length=32,
        unique=True,
        validators=[validate_plain_text],
        help_text="As on the theatre door, e.g. “OR 3”.",
    )
    active = models.BooleanField(
        default=True, help_text="Offered when a case is scheduled. Untick to retire the room."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


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
    room = models.ForeignKey(
        Room,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="devices",
        help_text="A wall display's room; a tablet's, which new cases then default to.",
    )
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
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=DeviceKind.WALL_DISPLAY, room__isnull=True),
                name="enrolleddevice_wall_display_has_a_room",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display().lower()})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class DisplayPairing(models.Model):
    """A one-time code an administrator makes to enrol a room's wall display: typed on the
    display (which has no keyboard login of its own), it makes the display an enrolled device
    of that room. Only the code's SHA-256 is kept; it works once, for
    ``accounts.devices.PAIRING_MINUTES``."""

    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100, help_text="Where it hangs, e.g. “OR 3 wall”.")
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(editable=False)
    expires_at = models.DateTimeField(editable=False)
    device = models.OneToOneField(
        EnrolledDevice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pairing",
        editable=False,
        help_text="The display the code enrolled, once used.",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Code for {self.name} ({self.room})"


class ApiToken(models.Model):
    """A key an integration (the hospital's integration engine, its scheduling system) uses on
    ``/api/v1/`` (``accounts.tokens``), with what it may do (one flag per ``ApiScope``).

    The token is ``sit_<prefix>_<secret>``: the prefix finds the row and is not secret; only
    the SHA-256 of the secret (256 random bits: nothing to guess, so a plain hash is enough) is
    stored, so a copy of this table lets no one in. It is shown once, when made.

    The token acts as its own service user (``user``, made with it, named after it, with no
    password and no role), so the audit trail, a step's "recorded by" and the access log name
    the integration, never a person who did not do it. The user's permissions follow the
    scopes. A token is revoked, never deleted; its user is then made inactive.
    """

    name = models.CharField(
        max_length=100,
        validators=[validate_plain_text],
        help_text="The integration, as the record names it, e.g. “Theatre scheduling”.",
    )
    read_cases = models.BooleanField(
        default=False, help_text="List and read cases, with the patient's identity."
    )
    import_schedule = models.BooleanField(default=False, help_text="Schedule cases.")
    record_steps = models.BooleanField(
        default=False, help_text="Record checklist steps and log implants."
    )
    expires_at = models.DateTimeField(help_text="After this moment the token is refused.")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_token",
        editable=False,
        help_text="The service user the token acts as.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
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
        ordering = ["-created_at"]
        verbose_name = "API token"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(revoked_at__isnull=True, revoked_by__isnull=True)
                | models.Q(revoked_at__isnull=False, revoked_by__isnull=False),
                name="apitoken_revoked_by_whom_and_when",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def scopes(self) -> set[ApiScope]:
        return {scope for scope in ApiScope if getattr(self, scope.value)}
