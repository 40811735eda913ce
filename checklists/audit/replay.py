"""What a case's chain says its live rows must be, and the first place where they are not.

The chain proves its events are the ones the application wrote (``checklists.audit.chain``);
the replay proves the rows are what those events say. A case's events, folded in order
(``checklists.audit.fold``), give what the workflow must have left: the case's scheduling,
the seal of its patient's identity and its status; every step's answer, revision and Stop
override; the implants on the log; every signature; every Time Out. ``replay_case`` compares
that with the rows, in the order of ``FIELDS``, and names the first difference in words.

The rows are rebuilt as the trail keeps them by ``checklists.audit.kept``, with the builders
the workflow wrote the events with, so a row and its replayed state have the same keys.

Pure: it reads the events and rows it is given and the audit keys (for the identity seal),
never the database, so ``verify_audit`` replays whole batches of cases in a constant number
of queries and the review record replays the rows it has already read.
"""

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from checklists import payloads
from checklists.audit.fold import UNTOUCHED, Replayed, Unreplayable, replay
from checklists.audit.kept import (
    case_as_kept,
    case_columns,
    concern_as_kept,
    debrief_action_as_kept,
    implant_as_kept,
    side_disagreement_as_kept,
    signature_as_kept,
    step_as_kept,
    time_out_as_kept,
)
from checklists.audit.verdict import RowDifference
from checklists.models import (
    AuditEvent,
    Case,
    CaseStep,
    Concern,
    DebriefAction,
    Implant,
    SideDisagreement,
    Signature,
    TimeOut,
    UnknownAuditKey,
)
from checklists.workflow.signing import CONTENT_STEP_FIELDS, ContentStep, content_hash
from procedures.choices import StepKind

# Cases scheduled before this release have no identity seal in their ``case_created`` event.
IDENTITY_SEALED_SINCE = "the release that seals patient identity in the chain"

# Every compared field, in the order compared: how a difference names it, and whether its
# values may be quoted. Free text is not (a note or a reason may name anyone, and messages go
# to logs and tickets); the rest are codes, numbers, ids and times. Never patient identity:
# the case's is compared through its seal and never shown.
FIELDS: dict[str, tuple[str, bool]] = {
    # the case as scheduled (``case_created``)
    "procedure": ("procedure (id)", True),
    "laterality": ("side", True),
    "surgeon": ("surgeon (user id)", True),
    "room": ("room", True),
    "scheduled_start": ("scheduled start", True),
    "steps": ("number of steps", True),
    # the case since
    "status": ("status", True),
    "created_by": ("scheduled by (user id)", True),
    "completed_at": ("signed-out time", True),
    "reviewed_at": ("reviewed time", True),
    "reviewed_by": ("reviewer (user id)", True),
    "review_comment": ("review comment", False),
    "cancelled_at": ("cancelled time", True),
    "cancel_reason": ("reason for cancelling", False),
    "amended": ("amended mark", True),
    # a step (its status as above; a text answer's value is free text)
    "value": ("value", True),
    "note": ("note", False),
    "na_reason": ("reason not applicable", False),
    "recorded_by": ("recorded by (user id)", True),
    "recorded_at": ("recorded time", True),
    "revision": ("revision", True),
    "recorded_for": ("recorded for (role)", True),
    "stop_override_reason": ("reason for overriding its Stop", False),
    "stop_overridden_by": ("Stop overridden by (user id)", True),
    "stop_overridden_at": ("Stop override time", True),
    # an implant
    "implant": ("implant id", True),
    "side": ("side", True),
    "position": ("position", True),
    "manufacturer": ("manufacturer", True),
    "product": ("product", True),
    "size": ("size", True),
    "lot": ("lot", True),
    "expiry": ("expiry", True),
    "serial": ("serial", True),
    "gtin": ("GTIN", True),
    "udi": ("UDI", True),
    "expiry_override_reason": ("reason for using it expired", False),
    "entry": ("entry (scanned or typed)", True),
    "carrier": ("UDI form", True),
    "duplicate_override_reason": ("reason for logging a device recorded in another case", False),
    "added_by": ("added by (user id)", True),
    "read_back_by": ("read back by (user id)", True),
    "read_back_at": ("read-back time", True),
    # a signature
    "signature": ("signature id", True),
    "printed_name": ("printed name", True),
    "meaning": ("meaning", True),
    "content_hash": ("content hash", True),
    "signer": ("signer (user id)", True),
    "signed_at": ("signing time", True),
    "reason": ("reason", False),
    "amended_step": ("amended step (id)", True),
    # a Stop the team called
    "concern": ("Stop id", True),
    "raised_by": ("called by (user id)", True),
    "raised_at": ("time called", True),
    "resolution": ("how it was resolved", False),
    "resolved_by": ("resolved by (user id)", True),
    "resolved_at": ("time resolved", True),
    # a side seen that is not the case's ("raised_by", "resolution"... as for a Stop above)
    "disagreement": ("side disagreement id", True),
    "place": ("where the side was seen", True),
    "side_seen": ("side seen", True),
    "case_side": ("the case's side then", True),
    "step": ("step (id)", True),
    # an action agreed at the debrief
    "action": ("debrief action id", True),
    "what": ("what is to be done", False),
    "owner": ("owner (user id)", True),
    "owner_role": ("owner (role)", True),
    "due": ("due day", True),
    "closing_note": ("closing note", False),
    "closed_by": ("closed by (user id)", True),
    "closed_at": ("time closed", True),
    # a Time Out (its side and surgeon as above)
    "time_out": ("Time Out id", True),
    "started_by": ("started by (user id)", True),
    "started_at": ("time started", True),
    "ended_by": ("ended by (user id)", True),
    "ended_at": ("time ended", True),
    "anaesthetist": ("anaesthetist (user id)", True),
    "circulating_nurse": ("circulating nurse (user id)", True),
    "scrub": ("scrub (user id)", True),
    "all_items_spoken": ("every item spoken aloud", True),
    "everyone_present": ("everyone stopped and present", True),
    "interruptions": ("interruptions", True),
    "invalidated_by": ("made stale by (user id)", True),
    "invalidated_at": ("time made stale", True),
    "invalidated_reason": ("why it no longer holds", False),
}


@dataclass(frozen=True)
class Replay:
    """One case replayed: its first difference, and whether its identity seal was checked."""

    difference: RowDifference | None
    identity_sealed: bool


# --- the rows the chain keeps by id ---------------------------------------------------------


@dataclass(frozen=True)
class KeptRows:
    """One kind of row the chain keeps by id (besides the steps): where the replayed state
    holds it, how a live row is kept, and how a difference names it."""

    kind: str  # the attribute of ``Replayed`` and the keyword of ``replay_case``
    as_kept: Callable[[Any], dict[str, Any]]
    where: Callable[[int, Mapping[str, Any]], str]
    unrecorded: str
    gone: str = "the chain records it, but its row is gone"


# In the order compared.
KEPT_ROWS = (
    KeptRows(
        "implants",
        implant_as_kept,
        where=lambda pk, implant: (
            f"implant {pk} ({implant.get('side')} side, position {implant.get('position')})"
        ),
        gone="the chain has it on the log, but its row is gone",
        unrecorded="its row is on the log, but the chain never logged it (or logged its removal)",
    ),
    KeptRows(
        "signatures",
        signature_as_kept,
        where=lambda pk, signature: f"signature {pk} ({signature.get('meaning')})",
        unrecorded="its row is there, but the chain never signed it",
    ),
    KeptRows(
        "concerns",
        concern_as_kept,
        where=lambda pk, concern: f"Stop {pk} called by the team",
        unrecorded="its row is there, but the chain never called it",
    ),
    KeptRows(
        "actions",
        debrief_action_as_kept,
        where=lambda pk, action: f"debrief action {pk}",
        unrecorded="its row is there, but the chain never added it",
    ),
    KeptRows(
        "sides",
        side_disagreement_as_kept,
        where=lambda pk, disagreement: f"side disagreement {pk}",
        unrecorded="its row is there, but the chain never raised it",
    ),
    KeptRows(
        "time_outs",
        time_out_as_kept,
        where=lambda pk, time_out: f"Time Out {pk}",
        unrecorded="its row is there, but the chain never started it",
    ),
)


# --- the comparison -------------------------------------------------------------------------


def replay_case(
    case: Case,
    events: Sequence[AuditEvent],
    *,
    steps: Sequence[CaseStep],
    implants: Sequence[Implant],
    signatures: Sequence[Signature],
    concerns: Sequence[Concern],
    actions: Sequence[DebriefAction] = (),
    sides: Sequence[SideDisagreement] = (),
    time_outs: Sequence[TimeOut] = (),
) -> Replay:
    """Replay ``case``'s chain (``events``, in ``seq`` order, already proven by the chain
    check) and compare it with the case's live rows; name the first difference."""
    try:
        state = replay(events)
    except Unreplayable as error:
        return Replay(RowDifference(case.pk, "", f"its chain cannot be replayed: {error}"), False)
    sealed = state.identity is not None
    problem = (
        _identity_problem(case, state)
        or _first_change(state.created or {}, case_as_kept(case, steps=len(steps)))
        or _first_change(state.case, case_columns(case))
    )
    if problem:
        return Replay(RowDifference(case.pk, "", problem), sealed)
    rows = {
        "implants": implants,
        "signatures": signatures,
        "concerns": concerns,
        "actions": actions,
        "sides": sides,
        "time_outs": time_outs,
    }
    difference = (
        _steps_difference(case.pk, state, steps)
        or _kept_rows_difference(case.pk, state, rows)
        or _content_difference(case, state, steps, implants)
    )
    return Replay(difference, sealed)


def _identity_problem(case: Case, state: Replayed) -> str | None:
    if state.identity is None:
        return None
    try:
        if case.identity_seal(key_id=state.identity_key) == state.identity:
            return None
    except UnknownAuditKey:
        return f"the identity seal's audit key {state.identity_key!r} is not held by this server"
    return (
        "the patient's identity (MRN, name or date of birth) is not the one the chain sealed "
        "when the case was scheduled"
    )


def _steps_difference(
    case_id: int, state: Replayed, steps: Sequence[CaseStep]
) -> RowDifference | None:
    answered = dict(state.steps)
    for step in sorted(steps, key=lambda step: step.position):
        kept_step = answered.pop(step.pk, UNTOUCHED)
        free_text = {"value"} if step.kind == StepKind.TEXT else set()
        problem = _first_change(kept_step, step_as_kept(step), free_text=free_text)
        if problem:
            where = f"step '{step.title}'" + (f" ({step.side})" if step.side else "")
            return RowDifference(case_id, where, problem)
    for step_id in sorted(answered):
        problem = "the chain records its answers, but it is not one of the case's steps"
        return RowDifference(case_id, f"step {step_id}", problem)
    return None


def _kept_rows_difference(
    case_id: int, state: Replayed, rows: Mapping[str, Sequence[Any]]
) -> RowDifference | None:
    """The first difference, kind by kind (``KEPT_ROWS``), between the rows the chain keeps
    by id and the live ``rows`` of each kind: a row gone, a row the chain never made, or the
    first field that differs."""
    for kind in KEPT_ROWS:
        kept_by_chain = getattr(state, kind.kind)
        live = {row.pk: kind.as_kept(row) for row in rows[kind.kind]}
        for pk in sorted(kept_by_chain.keys() | live.keys()):
            kept, row = kept_by_chain.get(pk), live.get(pk)
            place = kind.where(pk, kept or row or {})
            if row is None:
                return RowDifference(case_id, place, kind.gone)
            if kept is None:
                return RowDifference(case_id, place, kind.unrecorded)
            problem = _first_change(kept, row)
            if problem:
                return RowDifference(case_id, place, problem)
    return None


def _content_difference(
    case: Case, state: Replayed, steps: Sequence[CaseStep], implants: Sequence[Implant]
) -> RowDifference | None:
    """A signed case's rows must still hash to what its newest signature vouches for: this
    covers what the events do not hold (a step's title, position or side) and, on cases
    created before the identity seal, the patient's identity."""
    if state.signed_content is None:
        return None
    now = content_hash(
        case,
        steps=[
            ContentStep(*(getattr(step, name) for name in CONTENT_STEP_FIELDS)) for step in steps
        ],
        implants=[payloads.implant_state(implant) for implant in implants],
    )
    if now == state.signed_content:
        return None
    problem = (
        "the rows no longer hash to the content its newest signature vouches for (a step's "
        "title, position or side, or the patient's identity, changed)"
    )
    return RowDifference(case.pk, "", problem)


def _first_change(
    kept: Mapping[str, Any],
    row: Mapping[str, Any],
    *,
    free_text: set[str] | frozenset = frozenset(),
) -> str | None:
    """The first key (in ``FIELDS`` order) whose row value is not the kept one, in words."""
    if kept == row:  # nearly always: spare the ordering
        return None
    for key in sorted(kept.keys() | row.keys(), key=_field_order):
        said, found = kept.get(key), row.get(key)
        if _comparable(key, said) == _comparable(key, found):
            continue
        label, quotable = FIELDS.get(key, (key, False))
        if quotable and key not in free_text:
            return f"the chain says {label} {_shown(said)}, the row says {_shown(found)}"
        return f"its {label} is not what the chain says (free text, not shown here)"
    return None


_ORDER = {key: index for index, key in enumerate(FIELDS)}


def _field_order(key: str) -> tuple[int, str]:
    return _ORDER.get(key, len(_ORDER)), key


def _comparable(key: str, value: Any) -> Any:
    """A step's time, kept as ISO 8601 text, compares as a moment: one instant, whatever the
    offset it was written with."""
    if key == "recorded_at" and isinstance(value, str):
        try:
            return datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def _shown(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, str):
        return f"'{value[:80]}…'" if len(value) > 80 else f"'{value}'"
    return str(value)
