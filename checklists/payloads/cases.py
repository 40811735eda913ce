"""The payloads of a case's own events: created, moved, reviewed, cancelled; a signature refused."""

import datetime
from typing import NotRequired, TypedDict


class CaseCreated(TypedDict):
    """``case_created`` after: the case as scheduled (no patient identity, only its seal).

    Stored with ``identity`` last. Events written before ``identity`` existed lack it: the
    replay (``checklists.audit.replay``) counts those cases as not covered, and a signed one
    is still covered by its signature's content hash."""

    procedure: int  # Procedure id
    laterality: str  # Laterality value: "left", "right", "bilateral" or "none"
    surgeon: int  # the surgeon's user id
    room: str
    scheduled_start: str  # ISO 8601 in UTC, to the second ("2025-03-04T08:30:00+00:00")
    steps: int  # how many steps were snapshotted from the procedure
    # HMAC-SHA-256 (hex) of the patient's MRN, name and date of birth under the audit key
    # that sealed this event (its ``key_id``): ``Case.identity_seal``.
    identity: NotRequired[str]


class Scheduling(TypedDict):
    """``case_rescheduled`` before and after: when and where a case not yet started is to be,
    as the day's theatre list moved it (``workflow.reschedule_case``)."""

    room: str
    scheduled_start: str  # ISO 8601 in UTC, to the second, as ``CaseCreated`` keeps it


class SignatureRefused(TypedDict):
    """``signature_refused`` after: a wrong password; nothing was signed."""

    meaning: str  # SignatureMeaning *value* ("sign_out", "amendment") of the refused signature


class Reviewed(TypedDict):
    """``reviewed`` after."""

    comment: str  # the reviewer's comment, "" if none


class CaseStatusState(TypedDict):
    """``cancelled`` before: the status the case left."""

    status: str  # CaseStatus value


class Cancelled(CaseStatusState):
    """``cancelled`` after: status "cancelled", and why."""

    reason: str


def case_created(
    *,
    procedure_id: int,
    laterality: str,
    surgeon_id: int,
    room: str,
    scheduled_start: datetime.datetime,
    steps: int,
    identity: str,
) -> CaseCreated:
    return {
        "procedure": procedure_id,
        "laterality": laterality,
        "surgeon": surgeon_id,
        "room": room,
        "scheduled_start": scheduled_start.astimezone(datetime.UTC).isoformat(timespec="seconds"),
        "steps": steps,
        "identity": identity,
    }


def scheduling(*, room: str, scheduled_start: datetime.datetime) -> Scheduling:
    return {
        "room": room,
        "scheduled_start": scheduled_start.astimezone(datetime.UTC).isoformat(timespec="seconds"),
    }


def signature_refused(*, meaning: str) -> SignatureRefused:
    return {"meaning": meaning}


def reviewed(*, comment: str) -> Reviewed:
    return {"comment": comment}


def case_status(*, status: str) -> CaseStatusState:
    return {"status": status}


def cancelled(*, status: str, reason: str) -> Cancelled:
    return {"status": status, "reason": reason}
