"""The catalogue's choices, named as the FDA's GUDID names them."""

from django.db import models


class MriSafety(models.TextChoices):
    """A device's MRI safety status as labelled (GUDID's ``MRISafetyStatus``)."""

    MR_SAFE = "mr_safe", "MR Safe"
    MR_CONDITIONAL = "mr_conditional", "MR Conditional"
    MR_UNSAFE = "mr_unsafe", "MR Unsafe"
    NOT_LABELLED = "not_labelled", "Labeling does not contain MRI Safety Information"


class RecallScope(models.TextChoices):
    """What a recall takes back of a device."""

    ALL = "all", "Every lot and serial"
    LOTS = "lots", "The lots listed"
    SERIALS = "serials", "The serial numbers listed"
