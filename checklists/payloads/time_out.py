"""The payloads of the team's Time Out (``TimeOut``) and of a change of surgeon, which makes a
Time Out stale."""

from typing import TypedDict


class TimeOutStarted(TypedDict):
    """``time_out_started`` after: the team began reading the Time Out aloud. Who and when are
    the event's actor and time."""

    time_out: int  # the TimeOut's id
    side: str  # "" for the case's Time Out; "left" or "right" for a side Time Out


class TimeOutEnded(TypedDict):
    """``time_out_ended`` after: the team present, by role (user ids; ``scrub`` None when there
    was none), and the team's three attestations. Who ended it and when: the event's."""

    time_out: int
    surgeon: int
    anaesthetist: int
    circulating_nurse: int
    scrub: int | None
    all_items_spoken: bool
    everyone_present: bool
    interruptions: int  # how many; 0 for none


class TimeOutInvalidated(TypedDict):
    """``time_out_invalidated`` after: a Time Out that no longer holds (a new surgeon, a Stop
    called), and why, in words. Who and when: the event's (the person whose change made it
    stale, at that change's moment)."""

    time_out: int
    reason: str


class SurgeonState(TypedDict):
    """``surgeon_changed`` before: the case's surgeon (user id) until now."""

    surgeon: int


class SurgeonChanged(SurgeonState):
    """``surgeon_changed`` after: the new surgeon, and why."""

    reason: str


def time_out_started(*, time_out: int, side: str) -> TimeOutStarted:
    return {"time_out": time_out, "side": side}


def time_out_ended(
    *,
    time_out: int,
    surgeon: int,
    anaesthetist: int,
    circulating_nurse: int,
    scrub: int | None,
    all_items_spoken: bool,
    everyone_present: bool,
    interruptions: int,
) -> TimeOutEnded:
    return {
        "time_out": time_out,
        "surgeon": surgeon,
        "anaesthetist": anaesthetist,
        "circulating_nurse": circulating_nurse,
        "scrub": scrub,
        "all_items_spoken": all_items_spoken,
        "everyone_present": everyone_present,
        "interruptions": interruptions,
    }


def time_out_invalidated(*, time_out: int, reason: str) -> TimeOutInvalidated:
    return {"time_out": time_out, "reason": reason}


def surgeon_state(*, surgeon: int) -> SurgeonState:
    return {"surgeon": surgeon}


def surgeon_changed(*, surgeon: int, reason: str) -> SurgeonChanged:
    return {"surgeon": surgeon, "reason": reason}
