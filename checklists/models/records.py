"""What a case gathers besides its steps: the implants placed and the signatures given."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from checklists import payloads
from checklists.choices import ImplantStatus, Side, SignatureMeaning, UdiCarrier, UdiEntry
from checklists.models.case import Case, CaseStep


class Implant(models.Model):
    """An implant placed in a case, typed in or read from its GS1 UDI barcode."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="implants")
    side = models.CharField(max_length=8, choices=Side.choices)
    position = models.PositiveIntegerField(help_text="Order of placement on its side.")
    manufacturer = models.CharField(max_length=200, blank=True)
    product = models.CharField(max_length=200, blank=True)
    size = models.CharField(max_length=50, blank=True, help_text="Diameter x length, mm.")
    lot = models.CharField(max_length=20, blank=True)
    expiry = models.DateField(null=True, blank=True)
    serial = models.CharField(max_length=20, blank=True)
    gtin = models.CharField("GTIN", max_length=14, blank=True)
    udi = models.CharField("UDI", max_length=200, blank=True, help_text="As scanned.")
    expiry_override_reason = models.TextField(max_length=2000, blank=True)
    # How the identifiers came in, and the form of ``udi``, as FHIR's Device.udiCarrier keeps
    # them (entryType, carrierAIDC or carrierHRF). Empty on implants logged before they were
    # kept, and ``carrier`` on an implant typed without its UDI.
    # (A database default too: a server still on the release before writes rows without them.)
    entry = models.CharField(
        max_length=8, choices=UdiEntry.choices, blank=True, default="", db_default=""
    )
    carrier = models.CharField(
        "UDI form",
        max_length=4,
        choices=UdiCarrier.choices,
        blank=True,
        default="",
        db_default="",
    )
    # A surgeon's reason to log a device (GTIN and serial) already recorded as implanted in
    # another case; "" otherwise.
    duplicate_override_reason = models.TextField(
        max_length=2000, blank=True, default="", db_default=""
    )
    # Its lifecycle. Opened but not implanted (wasted) during the case: why; it stays on the
    # log, and the signature covers it. Explanted at a later operation: the day and why; a
    # later fact about the patient, not part of what the case's signatures vouch for.
    wasted_reason = models.TextField(max_length=2000, blank=True, default="", db_default="")
    explanted_on = models.DateField(null=True, blank=True)
    explant_reason = models.TextField(max_length=2000, blank=True, default="", db_default="")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField()
    # The read-back before opening (NatSSIPs): the person who confirmed, on the tablet, that
    # the team read its product, size, side, expiry and lot aloud, and when. None until then;
    # an implant is counted as placed only once read back.
    read_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    read_back_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["case_id", "side", "position"]
        # A device's implants, for the duplicate check at the scan (GTIN and serial) and the
        # recall look-up (by serial or by lot).
        indexes = [
            models.Index(fields=["gtin", "serial"], name="implant_gtin_serial"),
            models.Index(fields=["gtin", "lot"], name="implant_gtin_lot"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "side", "position"], name="implant_unique_position"
            ),
            models.CheckConstraint(condition=~Q(product="", gtin=""), name="implant_identified"),
            # Only an implant placed comes out again.
            models.CheckConstraint(
                condition=Q(explanted_on__isnull=True) | Q(wasted_reason=""),
                name="implant_explanted_was_implanted",
            ),
            # Read back: by someone, at a moment.
            models.CheckConstraint(
                condition=Q(read_back_by__isnull=True, read_back_at__isnull=True)
                | Q(read_back_by__isnull=False, read_back_at__isnull=False),
                name="implant_read_back_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return " ".join(filter(None, [self.manufacturer, self.product, self.size])) or self.gtin

    @property
    def status(self) -> str:
        """Implanted, opened but not implanted, or explanted (``ImplantStatus``)."""
        if self.explanted_on is not None:
            return ImplantStatus.EXPLANTED
        return ImplantStatus.WASTED if self.wasted_reason else ImplantStatus.IMPLANTED

    @property
    def awaiting_read_back(self) -> bool:
        """Logged, not wasted, and not yet read back aloud before opening."""
        return self.read_back_at is None and not self.wasted_reason

    def get_status_display(self) -> str:
        return str(ImplantStatus(self.status).label)

    def state(self) -> payloads.ImplantState:
        """What the audit trail keeps of this implant."""
        return payloads.implant_state(self)


class Signature(models.Model):
    """An e-signature (21 CFR Part 11 §11.50): who, when, what it means, what was signed."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="signatures")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    printed_name = models.CharField(max_length=300)
    meaning = models.CharField(max_length=16, choices=SignatureMeaning.choices)
    signed_at = models.DateTimeField()
    # SHA-256 of the case's content at the moment of signing (see workflow.case_content_hash).
    content_hash = models.CharField(max_length=64)
    reason = models.TextField(
        max_length=2000, blank=True, help_text="Amendments: why the signed record changed."
    )
    amended_step = models.ForeignKey(
        CaseStep, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["case_id", "signed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.printed_name}, {self.get_meaning_display()}"
