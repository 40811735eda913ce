"""The live rows of a case as its audit trail keeps them, for the replay to compare.

Each row is rebuilt by ``checklists.payloads``' builders, the code the workflow wrote the events
with, so a row and its replayed state (``checklists.audit.fold``) have the same keys.
"""

from typing import Any

from checklists import payloads
from checklists.audit.fold import NO_IMPLANT_EXTRAS
from checklists.choices import SignatureMeaning
from checklists.models import (
    Case,
    CaseStep,
    Concern,
    DebriefAction,
    Implant,
    SideDisagreement,
    Signature,
    TimeOut,
)


def case_as_kept(case: Case, *, steps: int) -> dict[str, Any]:
    """The case row as ``case_created`` keeps it (its identity seal aside)."""
    created = payloads.case_created(
        procedure_id=case.procedure_id,
        laterality=case.laterality,
        surgeon_id=case.surgeon_id,
        room=case.room,
        scheduled_start=case.scheduled_start,
        steps=steps,
        identity="",
    )
    return {key: value for key, value in created.items() if key != "identity"}


def case_columns(case: Case) -> dict[str, Any]:
    return {
        "status": case.status,
        "created_by": case.created_by_id,
        "completed_at": case.completed_at,
        "reviewed_at": case.reviewed_at,
        "reviewed_by": case.reviewed_by_id,
        "review_comment": case.review_comment,
        "cancelled_at": case.cancelled_at,
        "cancel_reason": case.cancel_reason,
        "amended": case.amended,
    }


def step_as_kept(step: CaseStep) -> dict[str, Any]:
    return {
        **payloads.step_state(step),
        "recorded_for": step.recorded_for,
        "stop_override_reason": step.stop_override_reason,
        "stop_overridden_by": step.stop_overridden_by_id,
        "stop_overridden_at": step.stop_overridden_at,
    }


def implant_as_kept(implant: Implant) -> dict[str, Any]:
    return {
        **NO_IMPLANT_EXTRAS,
        **payloads.logged_implant(implant),
        "explanted_on": implant.explanted_on.isoformat() if implant.explanted_on else None,
        "explant_reason": implant.explant_reason,
        "added_by": implant.added_by_id,
        "read_back_by": implant.read_back_by_id,
        "read_back_at": implant.read_back_at,
    }


def signature_as_kept(signature: Signature) -> dict[str, Any]:
    if signature.meaning in SignatureMeaning.values:
        kept = dict(payloads.signature_state(signature))
    else:  # a meaning the application never writes: shown as stored
        kept = {"signature": signature.pk, "printed_name": signature.printed_name}
        kept |= {"meaning": signature.meaning, "content_hash": signature.content_hash}
    return {
        **kept,
        "signer": signature.signer_id,
        "signed_at": signature.signed_at,
        "reason": signature.reason,
        "amended_step": signature.amended_step_id,
    }


def concern_as_kept(concern: Concern) -> dict[str, Any]:
    return {
        "concern": concern.pk,
        "reason": concern.reason,
        "raised_by": concern.raised_by_id,
        "raised_at": concern.raised_at,
        "resolution": concern.resolution,
        "resolved_by": concern.resolved_by_id,
        "resolved_at": concern.resolved_at,
    }


def side_disagreement_as_kept(disagreement: SideDisagreement) -> dict[str, Any]:
    return {
        **payloads.side_disagreement_raised(
            disagreement=disagreement.pk,
            place=disagreement.place,
            side_seen=disagreement.side_seen,
            case_side=disagreement.case_side,
            implant=disagreement.implant_id,
        ),
        "step": disagreement.step_id,
        "raised_by": disagreement.raised_by_id,
        "raised_at": disagreement.raised_at,
        "resolution": disagreement.resolution,
        "resolved_by": disagreement.resolved_by_id,
        "resolved_at": disagreement.resolved_at,
    }


def debrief_action_as_kept(action: DebriefAction) -> dict[str, Any]:
    return {
        **payloads.debrief_action_added(
            action=action.pk,
            what=action.what,
            owner=action.owner_id,
            owner_role=action.owner_role,
            due=action.due,
        ),
        "raised_by": action.raised_by_id,
        "raised_at": action.raised_at,
        "closing_note": action.closing_note,
        "closed_by": action.closed_by_id,
        "closed_at": action.closed_at,
    }


def time_out_as_kept(time_out: TimeOut) -> dict[str, Any]:
    return {
        "time_out": time_out.pk,
        "side": time_out.side,
        "started_by": time_out.started_by_id,
        "started_at": time_out.started_at,
        "ended_by": time_out.ended_by_id,
        "ended_at": time_out.ended_at,
        "surgeon": time_out.surgeon_id,
        "anaesthetist": time_out.anaesthetist_id,
        "circulating_nurse": time_out.circulating_nurse_id,
        "scrub": time_out.scrub_id,
        "all_items_spoken": time_out.all_items_spoken,
        "everyone_present": time_out.everyone_present,
        "interruptions": time_out.interruptions,
        "invalidated_by": time_out.invalidated_by_id,
        "invalidated_at": time_out.invalidated_at,
        "invalidated_reason": time_out.invalidated_reason,
    }
