"""What the catalogue answers other apps: a device by its GTIN."""

from catalogue.models import Device


def device_for(gtin: str) -> Device | None:
    """The active catalogue entry of this GTIN-14, if the catalogue has one (one query)."""
    if not gtin:
        return None
    return Device.objects.filter(gtin=gtin, active=True).first()
