"""The payloads of the implant log's events after the implant is logged (``rows``)."""

import datetime
from typing import TypedDict

from checklists.payloads.rows import ImplantRow


class ImplantRemoved(TypedDict):
    """``implant_removed`` after."""

    reason: str  # why the implant came off the log (a mis-scan, say)


class ImplantWasted(TypedDict):
    """``implant_wasted`` after: opened but not implanted."""

    implant: int  # the Implant row's id
    reason: str  # why (dropped, wrong size opened, contaminated)


class ImplantExplanted(TypedDict):
    """``implant_explanted`` after: taken out at a later operation (not part of the content a
    signature covers)."""

    implant: int  # the Implant row's id
    explanted_on: str  # ISO date of the operation that took it out
    reason: str  # why (loosening, infection, malposition)


class ImplantReadBack(TypedDict):
    """``implant_read_back`` after: the team read the implant's product, size, side, expiry and
    lot aloud before it was opened; the event's actor confirmed it on the tablet."""

    implant: int  # the Implant row's id
    side: str  # its side and position, so that the trail says which one without its row
    position: int


def implant_removed(*, reason: str) -> ImplantRemoved:
    return {"reason": reason}


def implant_wasted(*, implant_id: int, reason: str) -> ImplantWasted:
    return {"implant": implant_id, "reason": reason}


def implant_explanted(
    *, implant_id: int, explanted_on: datetime.date, reason: str
) -> ImplantExplanted:
    return {"implant": implant_id, "explanted_on": explanted_on.isoformat(), "reason": reason}


def implant_read_back(implant: ImplantRow) -> ImplantReadBack:
    return {"implant": implant.pk, "side": implant.side, "position": implant.position}
