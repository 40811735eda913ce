"""The states of rows that several actions share, what their builders read, and the builders."""

import datetime
from typing import NotRequired, Protocol, TypedDict

from checklists.choices import SignatureMeaning


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
