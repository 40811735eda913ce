"""The device catalogue: what the hospital knows of each device by its identifier (DI).

Reference data that a catalogue keeper (an administrator) keeps, from the FDA's GUDID files
(``manage.py import_devices``) or by hand in the admin. Checklists reads it at the scan and
copies what it needs onto the implant, so a later change here never rewrites a past case.
"""

from django.db import models

from catalogue.choices import MriSafety
from catalogue.gtin import validate_gtin


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
