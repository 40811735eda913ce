"""Every change to a case, one function each.

Each function runs in one transaction, locks the case row (``select_for_update``; on SQLite the
IMMEDIATE transaction serialises writers instead), checks the rules, writes exactly one audit
event per change and bumps the case's ``version``. A rule that says no raises a
``checklists.errors.WorkflowError`` whose message is meant for the person at the tablet.
Sign-out, amendment and cancellation also store the case's compliance facts on it
(``checklists.compliance``), in the same save, for the reviewers' lists to read, and add to
the dashboard's day-by-day counts (``checklists.summary``) in the same transaction; sign-out
and cancellation store the case's quality facts (``checklists.quality``: how the Time Out was
performed, the Stops, whether the checklist was caught up after the fact) the same way. Every audit
payload is built by ``checklists.payloads``, the one definition of the audit trail's JSON.

Views, the admin, management commands and tests call these functions, as
``workflow.record_step(...)``; nothing else writes to a case. They take the acting person as an
argument and never read a request.

The modules, by what they change:
- ``cases``: scheduling a case (its steps snapshotted from the procedure), moving one not yet
  started (the theatre list's import), a change of surgeon, review, cancellation;
- ``steps``: recording a step, and the gates it must pass (revision, hard stops, gating
  phases, Stops, implants, a reason to put a gating step back to pending);
- ``stops``: a surgeon's override of a Stop (an expected answer not given);
- ``concerns``: a Stop called by anyone in the room, and its resolution;
- ``sides``: sides must agree: a side seen that is not the case's holds the whole case until
  a surgeon resolves it;
- ``time_out``: the team's Time Out read aloud (started, its items confirmed, ended with the
  team and attestations), made stale by a new surgeon or a Stop;
- ``debrief``: an action agreed at the debrief, and its closing (it outlives the case);
- ``answers``: an answer checked against its step's kind and bounds (pure);
- ``implants``: the implant log, a scanned UDI merged with the typed fields;
- ``lifecycle``: an implant read back before opening, opened but not implanted, or explanted
  later;
- ``signing``: sign-out and amendments, and the content hash a signature vouches for;
- ``passwords``: a signature's password, its refusals counted per signer;
- ``chain``: the audit event each change appends to the case's hash chain;
- ``common``: permission checks, the locked case, the reasons a record keeps.
"""

from accounts.context import NO_CONTEXT, RequestContext
from checklists.workflow.answers import Answer
from checklists.workflow.cases import (
    SURGEON_CHANGE_REASON_LENGTH,
    cancel,
    change_surgeon,
    create_case,
    mark_reviewed,
    reschedule_case,
)
from checklists.workflow.concerns import raise_concern, resolve_concern
from checklists.workflow.debrief import add_debrief_action, close_debrief_action, debrief_is_open
from checklists.workflow.implants import (
    REMOVAL_REASON_LENGTH,
    ImplantEntry,
    add_implant,
    remove_implant,
)
from checklists.workflow.lifecycle import (
    EXPLANT_REASON_LENGTH,
    WASTED_REASON_LENGTH,
    confirm_read_back,
    explant_implant,
    waste_implant,
)
from checklists.workflow.sides import resolve_side_disagreement, side_expected
from checklists.workflow.signing import amend, case_content_hash, missing_for_sign_out, sign_out
from checklists.workflow.steps import REVERT_REASON_LENGTH, record_step
from checklists.workflow.stops import override_stop
from checklists.workflow.time_out import (
    MOST_INTERRUPTIONS,
    Attestation,
    SideItem,
    TimeOutTeam,
    confirm_time_out_item,
    end_time_out,
    side_items,
    start_time_out,
)

__all__ = [
    "EXPLANT_REASON_LENGTH",
    "MOST_INTERRUPTIONS",
    "NO_CONTEXT",
    "REMOVAL_REASON_LENGTH",
    "REVERT_REASON_LENGTH",
    "SURGEON_CHANGE_REASON_LENGTH",
    "WASTED_REASON_LENGTH",
    "Answer",
    "Attestation",
    "ImplantEntry",
    "RequestContext",
    "SideItem",
    "TimeOutTeam",
    "add_debrief_action",
    "add_implant",
    "amend",
    "cancel",
    "case_content_hash",
    "change_surgeon",
    "close_debrief_action",
    "confirm_read_back",
    "confirm_time_out_item",
    "create_case",
    "debrief_is_open",
    "end_time_out",
    "explant_implant",
    "mark_reviewed",
    "missing_for_sign_out",
    "override_stop",
    "raise_concern",
    "record_step",
    "remove_implant",
    "reschedule_case",
    "resolve_concern",
    "resolve_side_disagreement",
    "side_expected",
    "side_items",
    "sign_out",
    "start_time_out",
    "waste_implant",
]
