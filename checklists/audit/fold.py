"""A case's audit events, folded in order into what its live rows must be.

One small function per action (``FOLD``); ``replay`` runs them over a case's chain and gives
the case's columns, every step's answer, revision and Stop override (a step no event touched is
pending at revision 0), the implants on the log, every signature, Stop called and side
disagreement, keyed as
``checklists.payloads`` keeps rows. ``checklists.audit.replay`` compares that with the rows.
Pure: it reads only the events it is given.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from checklists import payloads
from checklists.choices import AuditAction, CaseStatus, StepStatus
from checklists.models import AuditEvent

STEP_KEYS = tuple(payloads.StepState.__annotations__)
REQUIRED_STEP_KEYS = payloads.StepState.__required_keys__
UNTOUCHED: dict[str, Any] = {
    "status": StepStatus.PENDING,
    "value": "",
    "note": "",
    "na_reason": "",
    "recorded_by": None,
    "recorded_at": None,
    "revision": 0,
    "recorded_for": "",
}
# A Stop's override (``workflow.override_stop``), kept on the step beside its answer; a change
# of the answer clears it (``workflow.steps.apply_answer``).
NO_OVERRIDE: dict[str, Any] = {
    "stop_override_reason": "",
    "stop_overridden_by": None,
    "stop_overridden_at": None,
}
UNTOUCHED |= NO_OVERRIDE
# An implant's optional keys (``payloads.ImplantState``) as an event without them means them.
NO_IMPLANT_EXTRAS: dict[str, Any] = dict.fromkeys(payloads.OPTIONAL_IMPLANT_KEYS, "")
# An explant is kept beside the implant's logged state (outside what a signature covers).
NOT_EXPLANTED: dict[str, Any] = {"explanted_on": None, "explant_reason": ""}
NO_IMPLANT_EXTRAS |= NOT_EXPLANTED
# The read-back before opening: its event's actor and moment, beside the logged state too.
NOT_READ_BACK: dict[str, Any] = {"read_back_by": None, "read_back_at": None}
NO_IMPLANT_EXTRAS |= NOT_READ_BACK
# The case's columns that events set after its creation, as they stand before any event.
CASE_START: dict[str, Any] = {
    "status": None,
    "created_by": None,
    "completed_at": None,
    "reviewed_at": None,
    "reviewed_by": None,
    "review_comment": "",
    "cancelled_at": None,
    "cancel_reason": "",
    "amended": False,
}

# A Time Out as it stands when started: not yet ended, nor invalidated.
TIME_OUT_START: dict[str, Any] = {
    "ended_by": None,
    "ended_at": None,
    "surgeon": None,
    "anaesthetist": None,
    "circulating_nurse": None,
    "scrub": None,
    "all_items_spoken": None,
    "everyone_present": None,
    "interruptions": None,
    "invalidated_by": None,
    "invalidated_at": None,
    "invalidated_reason": "",
}


@dataclass
class Replayed:
    """A case's rows as its chain tells them, keyed as ``payloads`` keeps rows."""

    created: dict[str, Any] | None = None  # the case_created payload, its identity seal aside
    identity: str | None = None  # that seal; None on cases created before it existed
    identity_key: str = ""  # the audit key that sealed it (the event's)
    case: dict[str, Any] = field(default_factory=lambda: dict(CASE_START))
    steps: dict[int, dict[str, Any]] = field(default_factory=dict)  # step id -> StepState
    implants: dict[int, dict[str, Any]] = field(default_factory=dict)  # implant id -> ...
    signatures: dict[int, dict[str, Any]] = field(default_factory=dict)  # signature id -> ...
    concerns: dict[int, dict[str, Any]] = field(default_factory=dict)  # concern id -> ...
    actions: dict[int, dict[str, Any]] = field(default_factory=dict)  # debrief action id -> ...
    sides: dict[int, dict[str, Any]] = field(default_factory=dict)  # side disagreement id -> ...
    time_outs: dict[int, dict[str, Any]] = field(default_factory=dict)  # TimeOut id -> ...
    signed_content: str | None = None  # the newest signature's content hash


class Unreplayable(ValueError):
    """The chain holds an event this release cannot fold (its problem, in words)."""


def _case_created(state: Replayed, event: AuditEvent) -> None:
    created: dict[str, Any] = dict(cast(payloads.CaseCreated, event.after))
    state.identity = created.pop("identity", None)
    state.identity_key = event.key_id
    state.created = created
    state.case.update(status=CaseStatus.SCHEDULED, created_by=event.actor_id)


def _case_rescheduled(state: Replayed, event: AuditEvent) -> None:
    if state.created is None:
        raise Unreplayable(f"event #{event.seq} moves a case the chain has not scheduled")
    state.created.update(cast(payloads.Scheduling, event.after))


def _step_recorded(state: Replayed, event: AuditEvent) -> None:
    after = _answer(state, event)
    if after["status"] != StepStatus.PENDING:
        _start(state)


def _step_amended(state: Replayed, event: AuditEvent) -> None:
    _answer(state, event)
    after = cast(payloads.StepAmended, event.after)
    _sign(state, event, after["signature"], reason=after["reason"], step_id=event.step_id)
    state.case["amended"] = True


def _stop_overridden(state: Replayed, event: AuditEvent) -> None:
    if event.step_id is None:
        raise Unreplayable(f"event #{event.seq} overrides a Stop but names no step")
    after = cast(payloads.StopOverridden, event.after)
    state.steps[event.step_id] = {
        **state.steps.get(event.step_id, UNTOUCHED),
        "revision": after["revision"],
        "stop_override_reason": after["reason"],
        "stop_overridden_by": event.actor_id,
        "stop_overridden_at": event.created_at,
    }


def _implant_added(state: Replayed, event: AuditEvent) -> None:
    after = cast(payloads.LoggedImplant, event.after)
    state.implants[after["implant"]] = {**NO_IMPLANT_EXTRAS, **after, "added_by": event.actor_id}
    _start(state)


def _implant_removed(state: Replayed, event: AuditEvent) -> None:
    removed = cast(payloads.LoggedImplant, event.before)["implant"]
    state.implants.pop(removed, None)
    # A side disagreement keeps its words, but no longer points at the implant's row.
    for disagreement in state.sides.values():
        if disagreement["implant"] == removed:
            disagreement["implant"] = None


def _implant_wasted(state: Replayed, event: AuditEvent) -> None:
    after = cast(payloads.ImplantWasted, event.after)
    state.implants[after["implant"]]["wasted_reason"] = after["reason"]


def _implant_explanted(state: Replayed, event: AuditEvent) -> None:
    after = cast(payloads.ImplantExplanted, event.after)
    state.implants[after["implant"]].update(
        explanted_on=after["explanted_on"], explant_reason=after["reason"]
    )


def _implant_read_back(state: Replayed, event: AuditEvent) -> None:
    after = cast(payloads.ImplantReadBack, event.after)
    state.implants[after["implant"]].update(
        read_back_by=event.actor_id, read_back_at=event.created_at
    )


def _signed_out(state: Replayed, event: AuditEvent) -> None:
    _sign(state, event, cast(payloads.SignatureState, event.after), reason="", step_id=None)
    state.case.update(status=CaseStatus.COMPLETED, completed_at=event.created_at)


def _signature_refused(state: Replayed, event: AuditEvent) -> None:
    """A wrong password changes no row."""


def _reviewed(state: Replayed, event: AuditEvent) -> None:
    state.case.update(
        status=CaseStatus.REVIEWED,
        reviewed_at=event.created_at,
        reviewed_by=event.actor_id,
        review_comment=cast(payloads.Reviewed, event.after)["comment"],
    )


def _cancelled(state: Replayed, event: AuditEvent) -> None:
    state.case.update(
        status=CaseStatus.CANCELLED,
        cancelled_at=event.created_at,
        cancel_reason=cast(payloads.Cancelled, event.after)["reason"],
    )


def _concern_raised(state: Replayed, event: AuditEvent) -> None:
    after = cast(payloads.ConcernRaised, event.after)
    state.concerns[after["concern"]] = {
        "concern": after["concern"],
        "reason": after["reason"],
        "raised_by": event.actor_id,
        "raised_at": event.created_at,
        "resolution": "",
        "resolved_by": None,
        "resolved_at": None,
    }


def _concern_resolved(state: Replayed, event: AuditEvent) -> None:
    after = cast(payloads.ConcernResolved, event.after)
    state.concerns[after["concern"]].update(
        resolution=after["resolution"], resolved_by=event.actor_id, resolved_at=event.created_at
    )


def _debrief_action_added(state: Replayed, event: AuditEvent) -> None:
    after = cast(payloads.DebriefActionAdded, event.after)
    state.actions[after["action"]] = {
        **after,
        "raised_by": event.actor_id,
        "raised_at": event.created_at,
        "closing_note": "",
        "closed_by": None,
        "closed_at": None,
    }


def _debrief_action_closed(state: Replayed, event: AuditEvent) -> None:
    after = cast(payloads.DebriefActionClosed, event.after)
    state.actions[after["action"]].update(
        closing_note=after["note"], closed_by=event.actor_id, closed_at=event.created_at
    )


def _side_disagreement_raised(state: Replayed, event: AuditEvent) -> None:
    after = cast(payloads.SideDisagreementRaised, event.after)
    state.sides[after["disagreement"]] = {
        **after,
        "step": event.step_id,
        "raised_by": event.actor_id,
        "raised_at": event.created_at,
        "resolution": "",
        "resolved_by": None,
        "resolved_at": None,
    }


def _side_disagreement_resolved(state: Replayed, event: AuditEvent) -> None:
    after = cast(payloads.SideDisagreementResolved, event.after)
    state.sides[after["disagreement"]].update(
        resolution=after["resolution"], resolved_by=event.actor_id, resolved_at=event.created_at
    )


def _surgeon_changed(state: Replayed, event: AuditEvent) -> None:
    if state.created is None:
        raise Unreplayable(f"event #{event.seq} changes the surgeon of a case not scheduled")
    state.created["surgeon"] = cast(payloads.SurgeonChanged, event.after)["surgeon"]


def _time_out_started(state: Replayed, event: AuditEvent) -> None:
    after = cast(payloads.TimeOutStarted, event.after)
    state.time_outs[after["time_out"]] = {
        **TIME_OUT_START,
        "time_out": after["time_out"],
        "side": after["side"],
        "started_by": event.actor_id,
        "started_at": event.created_at,
    }


def _time_out_ended(state: Replayed, event: AuditEvent) -> None:
    after = cast(payloads.TimeOutEnded, event.after)
    state.time_outs[after["time_out"]].update(
        dict(after), ended_by=event.actor_id, ended_at=event.created_at
    )


def _time_out_invalidated(state: Replayed, event: AuditEvent) -> None:
    after = cast(payloads.TimeOutInvalidated, event.after)
    state.time_outs[after["time_out"]].update(
        invalidated_by=event.actor_id,
        invalidated_at=event.created_at,
        invalidated_reason=after["reason"],
    )


def _answer(state: Replayed, event: AuditEvent) -> dict[str, Any]:
    if event.step_id is None:
        raise Unreplayable(f"event #{event.seq} changes a step but names none")
    after: dict[str, Any] = dict(cast(payloads.StepState, event.after))
    before = state.steps.get(event.step_id, UNTOUCHED)
    # ``recorded_for`` is optional (``payloads.StepState``): absent, the recorder held the role.
    answer = {
        key: after[key] if key in REQUIRED_STEP_KEYS else after.get(key, "") for key in STEP_KEYS
    }
    same_answer = (answer["status"], answer["value"]) == (before["status"], before["value"])
    override = {key: before[key] for key in NO_OVERRIDE} if same_answer else NO_OVERRIDE
    state.steps[event.step_id] = {**answer, **override}
    return after


def _start(state: Replayed) -> None:
    """The first answer or implant takes a scheduled case into the room."""
    if state.case["status"] == CaseStatus.SCHEDULED:
        state.case["status"] = CaseStatus.IN_PROGRESS


def _sign(
    state: Replayed,
    event: AuditEvent,
    signature: payloads.SignatureState,
    *,
    reason: str,
    step_id: int | None,
) -> None:
    state.signatures[signature["signature"]] = {
        **signature,
        "signer": event.actor_id,
        "signed_at": event.created_at,
        "reason": reason,
        "amended_step": step_id,
    }
    state.signed_content = signature["content_hash"]


FOLD: dict[str, Callable[[Replayed, AuditEvent], None]] = {
    AuditAction.CASE_CREATED: _case_created,
    AuditAction.CASE_RESCHEDULED: _case_rescheduled,
    AuditAction.STEP_RECORDED: _step_recorded,
    AuditAction.STEP_AMENDED: _step_amended,
    AuditAction.IMPLANT_ADDED: _implant_added,
    AuditAction.IMPLANT_REMOVED: _implant_removed,
    AuditAction.IMPLANT_WASTED: _implant_wasted,
    AuditAction.IMPLANT_READ_BACK: _implant_read_back,
    AuditAction.IMPLANT_EXPLANTED: _implant_explanted,
    AuditAction.SIGNED_OUT: _signed_out,
    AuditAction.SIGNATURE_REFUSED: _signature_refused,
    AuditAction.REVIEWED: _reviewed,
    AuditAction.CANCELLED: _cancelled,
    AuditAction.STOP_OVERRIDDEN: _stop_overridden,
    AuditAction.CONCERN_RAISED: _concern_raised,
    AuditAction.CONCERN_RESOLVED: _concern_resolved,
    AuditAction.DEBRIEF_ACTION_ADDED: _debrief_action_added,
    AuditAction.DEBRIEF_ACTION_CLOSED: _debrief_action_closed,
    AuditAction.SIDE_DISAGREEMENT_RAISED: _side_disagreement_raised,
    AuditAction.SIDE_DISAGREEMENT_RESOLVED: _side_disagreement_resolved,
    AuditAction.SURGEON_CHANGED: _surgeon_changed,
    AuditAction.TIME_OUT_STARTED: _time_out_started,
    AuditAction.TIME_OUT_ENDED: _time_out_ended,
    AuditAction.TIME_OUT_INVALIDATED: _time_out_invalidated,
}


def replay(events: Iterable[AuditEvent]) -> Replayed:
    """Fold a case's events (in ``seq`` order) into what its rows must be."""
    state = Replayed()
    for event in events:
        fold = FOLD.get(event.action)
        if fold is None:
            raise Unreplayable(f"event #{event.seq} is a {event.action!r}, unknown to this release")
        try:
            fold(state, event)
        except (KeyError, TypeError, AttributeError) as error:
            raise Unreplayable(
                f"event #{event.seq} ({event.action}) lacks what it must hold ({error})"
            ) from None
    if state.created is None:
        raise Unreplayable("the chain does not begin with the case's scheduling")
    return state
