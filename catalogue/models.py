"""The device catalogue: what the hospital knows of each device by its identifier (DI), and
the recalls of devices.

Reference data that a catalogue keeper (an administrator) keeps, from the FDA's GUDID files
(``manage.py import_devices``) or by hand in the admin. Checklists reads it at the scan and
copies what it needs onto the implant, so a later change here never rewrites a past case.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from catalogue.choices import MriSafety, RecallScope
from catalogue.gtin import validate_gtin

# A recall's lots or serials: one per line, or separated by commas or semicolons.
_LISTED = re.compile(r"[\n,;]+")


class Device(models.Model):
    """A device by its GS1 GTIN, as its label and GUDID record describe it."""

    gtin = models.CharField(
        "GTIN",
        max_length=14,
        unique=True,
        validators=[validate_gtin],
        help_text="The device identifier (DI): 14 digits, the last a GS1 check digit.",
    )
    company = models.CharField(max_length=200, help_text="The labeler (GUDID's companyName).")
    brand = models.CharField(max_length=120, help_text="GUDID's brandName.")
    model_number = models.CharField(
        "version or model", max_length=60, blank=True, help_text="GUDID's versionModelNumber."
    )
    catalogue_number = models.CharField(
        max_length=60, blank=True, help_text="GUDID's catalogNumber: what registries ask for."
    )
    description = models.TextField(max_length=2000, blank=True)
    size = models.CharField(
        max_length=50, blank=True, help_text="As labelled, e.g. “7.0 x 45 mm” (GUDID's sizeText)."
    )
    implantable = models.BooleanField(default=False)
    kit = models.BooleanField(default=False, help_text="GUDID's deviceKit.")
    mri_safety = models.CharField(
        "MRI safety", max_length=16, choices=MriSafety.choices, default=MriSafety.NOT_LABELLED
    )
    single_use = models.BooleanField(default=False)
    active = models.BooleanField(
        default=True,
        help_text="Used at the scan. Untick rather than delete a device no longer stocked.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["company", "brand", "model_number", "gtin"]

    def __str__(self) -> str:
        return f"{self.product_name} ({self.gtin})"

    @property
    def product_name(self) -> str:
        """What an implant logged from this device is called: brand and model."""
        return " ".join(filter(None, [self.brand, self.model_number]))


class Recall(models.Model):
    """A device recalled by its maker or the regulator: all of it, or the lots or serials
    listed. A device it covers is refused at the scan, with its reason."""

    gtin = models.CharField(
        "GTIN",
        max_length=14,
        validators=[validate_gtin],
        db_index=True,
        help_text="The recalled device's identifier (DI): 14 digits.",
    )
    scope = models.CharField(max_length=8, choices=RecallScope.choices, default=RecallScope.ALL)
    listed = models.TextField(
        "lots or serial numbers",
        max_length=5000,
        blank=True,
        help_text="For a recall of listed lots or serials: one per line, or separated by commas.",
    )
    reason = models.TextField(
        max_length=2000, help_text="Shown to the theatre team when they scan a recalled device."
    )
    recalled_on = models.DateField("date of the recall")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recalled_on", "gtin"]

    def __str__(self) -> str:
        return f"Recall of {self.gtin}, {self.recalled_on:%d %b %Y}"

    def clean(self) -> None:
        if self.scope == RecallScope.ALL and self.identifiers:
            raise ValidationError(
                {"listed": "A recall of every lot and serial lists none: empty this field."}
            )
        if self.scope != RecallScope.ALL and not self.identifiers:
            what = "lots" if self.scope == RecallScope.LOTS else "serial numbers"
            raise ValidationError({"listed": f"List the {what} recalled."})

    @property
    def identifiers(self) -> frozenset[str]:
        """The lots or serials listed."""
        return frozenset(filter(None, (part.strip() for part in _LISTED.split(self.listed))))

    def covers(self, *, lot: str, serial: str) -> bool:
        """Whether an item of the recalled device, of this lot and serial, is recalled."""
        if self.scope == RecallScope.LOTS:
            return bool(lot) and lot in self.identifiers
        if self.scope == RecallScope.SERIALS:
            return bool(serial) and serial in self.identifiers
        return True
