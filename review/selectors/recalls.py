"""The recall look-up: the implants of one device (its DI, perhaps one lot or serial), each with
its case, for finding the patients of a recalled device.

One query for a page of them, with their case, procedure and surgeon joined, however many
cases are affected; served by the implant indexes on (gtin, serial) and (gtin, lot).
"""

from django.db.models import QuerySet

from checklists.models import Implant


def recalled_implants(*, gtin: str, lot: str = "", serial: str = "") -> QuerySet[Implant]:
    """The implants logged with this GTIN-14 (and this lot, and this serial, when given) in any
    case, the newest case first; each with its case, the case's procedure and surgeon. A case
    cancelled after its implants were logged is listed too: its status says so."""
    implants = Implant.objects.filter(gtin=gtin)
    if lot:
        implants = implants.filter(lot=lot)
    if serial:
        implants = implants.filter(serial=serial)
    return implants.select_related("case__procedure", "case__surgeon").order_by(
        "-case__scheduled_start", "-case_id", "side", "position"
    )
