"""What an audit event's ``before`` and ``after`` hold: one typed definition per action.

This module is the reference for the audit trail's JSON. The workflow writes every payload
through the builders below, the review record reads payloads as these types, and the bulk
generator (``checklists.bulk``) builds them with the same builders. An API or an export
reads them from here too.

Each action's payloads (``before`` → ``after``; None is JSON ``null``):

- ``case_created``: None → ``CaseCreated``
- ``case_rescheduled``: ``Scheduling`` (as it was) → ``Scheduling`` (as the theatre list now
  says)
- ``step_recorded``: ``StepState`` → ``StepRecorded`` (a ``StepState``, plus ``reason`` when
  an answer was put back to pending with one)
- ``step_amended``: ``StepState`` (as signed) → ``StepAmended``
- ``implant_added``: None → ``LoggedImplant``
- ``implant_removed``: ``LoggedImplant`` (what it was) → ``ImplantRemoved``
- ``implant_wasted``: ``LoggedImplant`` (as logged) → ``ImplantWasted``
- ``implant_explanted``: ``LoggedImplant`` (as logged) → ``ImplantExplanted``
- ``implant_read_back``: None → ``ImplantReadBack`` (who confirmed and when: the event's actor
  and moment)
- ``signed_out``: None → ``SignatureState``
- ``signature_refused``: None → ``SignatureRefused``
- ``reviewed``: None → ``Reviewed``
- ``cancelled``: ``CaseStatusState`` → ``Cancelled``
- ``stop_overridden``: ``StepState`` (the answer that is a Stop) → ``StopOverridden``

``PAYLOADS`` says the same in code.

Rules every payload keeps:

- No patient identity (MRN, name, date of birth): the trail is shown to reviewers, exported
  and kept for years; the case row alone holds who the patient is. ``case_created`` keeps a
  keyed seal of it instead (``CaseCreated.identity``), which proves the identity unchanged
  without revealing it.
- JSON types only: people and rows as their integer ids, choices as their stored values (but a
  signature's ``meaning`` is its label, the words signed), times as ISO 8601 text with the
  UTC offset.
- Fixed once written. ``AuditEvent.hash`` covers the payload (``AuditEvent.compute_hash``:
  canonical JSON, keys sorted), so a stored payload never changes and the builders here must
  keep producing exactly these keys and values: a changed builder would make new events that
  differ from the ones the record and its readers know. A new key is added, never renamed,
  and readers accept events written before it existed. Builders write keys in the order
  stored since the first release (the JSON text of old rows is that order).

The builders read the models' attributes and nothing else (no query, no database), so they
take anything shaped like the model: ``StepRow``, ``ImplantRow`` and ``SignatureRow`` say
what they read.
"""

import datetime
from typing import NotRequired, Protocol, TypedDict, cast

from checklists.choices import AuditAction, SignatureMeaning

# --- the states of rows, shared by several actions ------------------------------------------


class StepState(TypedDict):
    """A case step's answer, before or after a change (``CaseStep.state()``)."""

    status: str  # StepStatus value: "pending", "done" or "na"
    value: str  # the answer as text ("yes", an option, "7.5", free text); "" for a check
    note: str  # the recorder's note, "" if none
    na_reason: str  # why the step does not apply; "" unless status is "na"
    recorded_by: int | None  # the user who recorded it; None while pending
    recorded_at: str | None  # when, ISO 8601 (microseconds, UTC offset); None while pending
    revision: int  # the row's revision after this state was written (0: never changed)
    # The step's role (a ``ClinicalRole``) when the person who recorded it does not hold it
    # ("recorded by Nora Nurse for the anaesthetist"); absent when they do, when pending, and
    # from every event written before it existed, whose JSON is unchanged.
    recorded_for: NotRequired[str]


class ImplantState(TypedDict):
    """An implant on the log (``Implant.state()``), as typed or read from its GS1 UDI.

    The optional keys come last, each only when it holds something: an implant logged before
    they existed keeps the state its signatures hashed (``workflow.signing.content_hash``)."""

    side: str  # Side value: "left" or "right"
    position: int  # order of placement on its side, from 1
    manufacturer: str  # typed, or the device catalogue's company for the GTIN
    product: str  # typed, or the catalogue's brand and model
    size: str  # diameter x length, mm, typed or the catalogue's
    lot: str
    expiry: str | None  # ISO date, None if unknown
    serial: str
    gtin: str  # GTIN-14 from the barcode, "" if typed in
    udi: str  # the UDI as scanned or typed, "" if only its parts were typed in
    expiry_override_reason: str  # a surgeon's reason to use it expired, "" otherwise
    # How its identifiers came in (``UdiEntry``: "barcode" when a scanner read its UDI,
    # "manual" when a person typed it or its parts) and the form of ``udi`` (``UdiCarrier``:
    # "aidc", the barcode's data, or "hrf", the text printed under it; absent without a UDI).
    # Both absent from every event written before they were kept, whose JSON is unchanged.
    entry: NotRequired[str]
    carrier: NotRequired[str]
    # A surgeon's reason to log a device already recorded as implanted in another case;
    # absent when none was needed.
    duplicate_override_reason: NotRequired[str]
    # Why it was opened but not implanted (wasted); absent for an implant placed.
    wasted_reason: NotRequired[str]


class LoggedImplant(ImplantState):
    """An implant with its row: ``implant_added`` after, ``implant_removed`` before.

    Stored with ``implant`` first, then the ``ImplantState`` keys."""

    implant: int  # the Implant row's id (gone from the table once removed)


class SignatureState(TypedDict):
    """An e-signature as the trail keeps it: ``signed_out`` after, inside ``step_amended``."""

    signature: int  # the Signature row's id
    printed_name: str  # the signer's name as printed on the signature
    meaning: str  # SignatureMeaning *label*, the words signed ("Case signed out by surgeon")
    content_hash: str  # SHA-256 of the case content signed (workflow.case_content_hash)


# --- per action ---------------------------------------------------------------------------------


class CaseCreated(TypedDict):
    """``case_created`` after: the case as scheduled (no patient identity, only its seal).

    Stored with ``identity`` last. Events written before ``identity`` existed lack it: the
    replay (``checklists.audit.replay``) counts those cases as not covered, and a signed one
    is still covered by its signature's content hash."""

    procedure: int  # Procedure id
    laterality: str  # Laterality value: "left", "right" or "bilateral"
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


class StepRecorded(StepState):
    """``step_recorded`` after: the step's new state, and why a recorded answer was put back
    to pending (``reason``), when a reason was given.

    ``reason`` is optional: it is present only on a revert that gave one (a revert of a step
    that gates others always does: ``CaseStep.gates_others``), and absent from every other
    event, including all written before it existed, whose JSON is unchanged. Stored after the
    ``StepState`` keys."""

    reason: NotRequired[str]  # why the answer went back to pending; never ""


class StepAmended(StepState):
    """``step_amended`` after: the step's new state, the amendment's reason, its signature.

    Stored as the ``StepState`` keys, then ``reason``, then ``signature``."""

    reason: str  # why the signed record changed
    signature: SignatureState  # the amendment's own signature


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


class StopOverridden(TypedDict):
    """``stop_overridden`` after: a surgeon let the case go on past a Stop (an expected answer
    not given), and why. The answer itself is unchanged: it is the event's ``before``."""

    expected_answer: str  # what the step expects ("yes"), the answer it was not given
    reason: str  # the surgeon's reason
    revision: int  # the row's revision after the override


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


# Each action's (before, after) types; None where the event stores JSON null.
PAYLOADS: dict[str, tuple[type | None, type | None]] = {
    AuditAction.CASE_CREATED: (None, CaseCreated),
    AuditAction.CASE_RESCHEDULED: (Scheduling, Scheduling),
    AuditAction.STEP_RECORDED: (StepState, StepRecorded),
    AuditAction.STEP_AMENDED: (StepState, StepAmended),
    AuditAction.IMPLANT_ADDED: (None, LoggedImplant),
    AuditAction.IMPLANT_REMOVED: (LoggedImplant, ImplantRemoved),
    AuditAction.IMPLANT_WASTED: (LoggedImplant, ImplantWasted),
    AuditAction.IMPLANT_EXPLANTED: (LoggedImplant, ImplantExplanted),
    AuditAction.IMPLANT_READ_BACK: (None, ImplantReadBack),
    AuditAction.SIGNED_OUT: (None, SignatureState),
    AuditAction.SIGNATURE_REFUSED: (None, SignatureRefused),
    AuditAction.REVIEWED: (None, Reviewed),
    AuditAction.CANCELLED: (CaseStatusState, Cancelled),
    AuditAction.STOP_OVERRIDDEN: (StepState, StopOverridden),
    AuditAction.CONCERN_RAISED: (None, ConcernRaised),
    AuditAction.CONCERN_RESOLVED: (None, ConcernResolved),
    AuditAction.DEBRIEF_ACTION_ADDED: (None, DebriefActionAdded),
    AuditAction.DEBRIEF_ACTION_CLOSED: (None, DebriefActionClosed),
}


# --- what the builders read -------------------------------------------------------------------


class StepRow(Protocol):
    """What ``step_state`` reads: a ``CaseStep``, or a row being built in bulk."""

    status: str
    value: str
    note: str
    na_reason: str
    recorded_by_id: int | None
    recorded_at: datetime.datetime | None
    revision: int
    recorded_for: str


class ImplantRow(Protocol):
    """What ``implant_state`` reads: an ``Implant``, or a row being built in bulk."""

    pk: int
    side: str
    position: int
    manufacturer: str
    product: str
    size: str
    lot: str
    expiry: datetime.date | None
    serial: str
    gtin: str
    udi: str
    expiry_override_reason: str
    entry: str
    carrier: str
    duplicate_override_reason: str
    wasted_reason: str


class SignatureRow(Protocol):
    """What ``signature_state`` reads: a ``Signature``, or a row being built in bulk."""

    pk: int
    printed_name: str
    meaning: str
    content_hash: str


# The optional keys of ``ImplantState`` in the order stored, each the name of its column ("" when
# absent).
OPTIONAL_IMPLANT_KEYS = tuple(
    sorted(ImplantState.__optional_keys__, key=list(ImplantState.__annotations__).index)
)


# --- builders -----------------------------------------------------------------------------------


def step_state(step: StepRow) -> StepState:
    state: StepState = {
        "status": step.status,
        "value": step.value,
        "note": step.note,
        "na_reason": step.na_reason,
        "recorded_by": step.recorded_by_id,
        "recorded_at": step.recorded_at.isoformat() if step.recorded_at else None,
        "revision": step.revision,
    }
    if step.recorded_for:
        state["recorded_for"] = step.recorded_for
    return state


def implant_state(implant: ImplantRow) -> ImplantState:
    """The implant as the trail keeps it; the optional keys only when they hold something, so
    an implant logged before they existed keeps the state (and content hash) it was signed
    with."""
    state: ImplantState = {
        "side": implant.side,
        "position": implant.position,
        "manufacturer": implant.manufacturer,
        "product": implant.product,
        "size": implant.size,
        "lot": implant.lot,
        "expiry": implant.expiry.isoformat() if implant.expiry else None,
        "serial": implant.serial,
        "gtin": implant.gtin,
        "udi": implant.udi,
        "expiry_override_reason": implant.expiry_override_reason,
    }
    if implant.entry:
        state["entry"] = implant.entry
    if implant.carrier:
        state["carrier"] = implant.carrier
    if implant.duplicate_override_reason:
        state["duplicate_override_reason"] = implant.duplicate_override_reason
    if implant.wasted_reason:
        state["wasted_reason"] = implant.wasted_reason
    return state


def logged_implant(implant: ImplantRow) -> LoggedImplant:
    return {"implant": implant.pk, **implant_state(implant)}


def signature_state(signature: SignatureRow) -> SignatureState:
    return {
        "signature": signature.pk,
        "printed_name": signature.printed_name,
        "meaning": str(SignatureMeaning(signature.meaning).label),
        "content_hash": signature.content_hash,
    }


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


def step_recorded(step: StepRow, *, reason: str = "") -> StepRecorded:
    """A step's state after ``step_recorded``; ``reason`` is stored only when given."""
    state = step_state(step)
    if not reason:
        return cast(StepRecorded, state)  # the StepState keys alone: ``reason`` is optional
    return {**state, "reason": reason}


def step_amended(step: StepRow, *, reason: str, signature: SignatureRow) -> StepAmended:
    return {
        **step_state(step),
        "reason": reason,
        "signature": signature_state(signature),
    }


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


def signature_refused(*, meaning: str) -> SignatureRefused:
    return {"meaning": meaning}


def reviewed(*, comment: str) -> Reviewed:
    return {"comment": comment}


def case_status(*, status: str) -> CaseStatusState:
    return {"status": status}


def stop_overridden(*, expected_answer: str, reason: str, revision: int) -> StopOverridden:
    return {"expected_answer": expected_answer, "reason": reason, "revision": revision}


def cancelled(*, status: str, reason: str) -> Cancelled:
    return {"status": status, "reason": reason}


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
