"""What the catalogue answers other apps: a device by its GTIN, and whether it is recalled."""

from catalogue.models import Device, Recall


def device_for(gtin: str) -> Device | None:
    """The active catalogue entry of this GTIN-14, if the catalogue has one (one query)."""
    if not gtin:
        return None
    return Device.objects.filter(gtin=gtin, active=True).first()


def recall_for(gtin: str, *, lot: str, serial: str) -> Recall | None:
    """The newest recall that covers this item of the device (its GTIN-14, lot and serial), if
    any (one query)."""
    if not gtin:
        return None
    recalls = Recall.objects.filter(gtin=gtin).order_by("-recalled_on", "-pk")
    return next((recall for recall in recalls if recall.covers(lot=lot, serial=serial)), None)
