"""The payloads of what the team says: a Stop called and resolved, the debrief's actions."""

import datetime
from typing import TypedDict


class ConcernRaised(TypedDict):
    """``concern_raised`` after: someone called a Stop (``Concern``), and why. Who and when are
    the event's actor and time."""

    concern: int  # the Concern's id
    reason: str


class ConcernResolved(TypedDict):
    """``concern_resolved`` after: the Stop resolved, with a note. Who and when: the event's."""

    concern: int
    resolution: str


class DebriefActionAdded(TypedDict):
    """``debrief_action_added`` after: an action agreed at the debrief (``DebriefAction``), its
    owner (a person's id, or else a ``ClinicalRole``) and due day. Who and when: the event's."""

    action: int  # the DebriefAction's id
    what: str
    owner: int | None  # the owner's user id; None when a role owns it
    owner_role: str  # "" when a person owns it
    due: str  # ISO 8601 date


class DebriefActionClosed(TypedDict):
    """``debrief_action_closed`` after: the action closed, with a note. Who and when: the
    event's (written on the chain of the case that raised it, whenever it is closed)."""

    action: int
    note: str


def concern_raised(*, concern: int, reason: str) -> ConcernRaised:
    return {"concern": concern, "reason": reason}


def concern_resolved(*, concern: int, resolution: str) -> ConcernResolved:
    return {"concern": concern, "resolution": resolution}


def debrief_action_added(
    *, action: int, what: str, owner: int | None, owner_role: str, due: datetime.date
) -> DebriefActionAdded:
    return {
        "action": action,
        "what": what,
        "owner": owner,
        "owner_role": owner_role,
        "due": due.isoformat(),
    }


def debrief_action_closed(*, action: int, note: str) -> DebriefActionClosed:
    return {"action": action, "note": note}
