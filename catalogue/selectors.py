"""What the catalogue answers other apps: a device by its GTIN, and whether it is recalled."""

from collections.abc import Iterable

from catalogue.models import Device, Recall


def device_for(gtin: str) -> Device | None:
    """The active catalogue entry of this GTIN-14, if the catalogue has one (one query)."""
    if not gtin:
        return None
    return Device.objects.filter(gtin=gtin, active=True).first()


def devices_for(gtins: Iterable[str]) -> dict[str, Device]:
    """The active catalogue entries of these GTIN-14s, by GTIN (one query)."""
    wanted = {gtin for gtin in gtins if gtin}
    if not wanted:
        return {}
    return {device.gtin: device for device in Device.objects.filter(gtin__in=wanted, active=True)}


def recall_for(gtin: str, *, lot: str, serial: str) -> Recall | None:
    """The newest recall that covers this item of the device (its GTIN-14, lot and serial), if
    any (one query)."""
    if not gtin:
        return None
    recalls = Recall.objects.filter(gtin=gtin).order_by("-recalled_on", "-pk")
    return next((recall for recall in recalls if recall.covers(lot=lot, serial=serial)), None)
