"""What an audit event's ``before`` and ``after`` hold: one typed definition per action.

This package is the reference for the audit trail's JSON. The workflow writes every payload
through the builders here, the review record reads payloads as these types, and the bulk
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
- ``concern_raised``: None → ``ConcernRaised``
- ``concern_resolved``: None → ``ConcernResolved``
- ``debrief_action_added``: None → ``DebriefActionAdded``
- ``debrief_action_closed``: None → ``DebriefActionClosed``
- ``surgeon_changed``: ``SurgeonState`` → ``SurgeonChanged``
- ``time_out_started``: None → ``TimeOutStarted``
- ``time_out_ended``: None → ``TimeOutEnded``
- ``time_out_invalidated``: None → ``TimeOutInvalidated``
- ``side_disagreement_raised``: None → ``SideDisagreementRaised``
- ``side_disagreement_resolved``: None → ``SideDisagreementResolved``

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

from checklists.choices import AuditAction
from checklists.payloads.cases import (
    Cancelled,
    CaseCreated,
    CaseStatusState,
    Reviewed,
    Scheduling,
    SignatureRefused,
    cancelled,
    case_created,
    case_status,
    reviewed,
    scheduling,
    signature_refused,
)
from checklists.payloads.implants import (
    ImplantExplanted,
    ImplantReadBack,
    ImplantRemoved,
    ImplantWasted,
    implant_explanted,
    implant_read_back,
    implant_removed,
    implant_wasted,
)
from checklists.payloads.rows import (
    OPTIONAL_IMPLANT_KEYS,
    ImplantRow,
    ImplantState,
    LoggedImplant,
    SignatureRow,
    SignatureState,
    StepRow,
    StepState,
    implant_state,
    logged_implant,
    signature_state,
    step_state,
)
from checklists.payloads.sides import (
    SideDisagreementRaised,
    SideDisagreementResolved,
    side_disagreement_raised,
    side_disagreement_resolved,
)
from checklists.payloads.steps import (
    StepAmended,
    StepRecorded,
    StopOverridden,
    step_amended,
    step_recorded,
    stop_overridden,
)
from checklists.payloads.team import (
    ConcernRaised,
    ConcernResolved,
    DebriefActionAdded,
    DebriefActionClosed,
    concern_raised,
    concern_resolved,
    debrief_action_added,
    debrief_action_closed,
)
from checklists.payloads.time_out import (
    SurgeonChanged,
    SurgeonState,
    TimeOutEnded,
    TimeOutInvalidated,
    TimeOutStarted,
    surgeon_changed,
    surgeon_state,
    time_out_ended,
    time_out_invalidated,
    time_out_started,
)

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
    AuditAction.SIDE_DISAGREEMENT_RAISED: (None, SideDisagreementRaised),
    AuditAction.SIDE_DISAGREEMENT_RESOLVED: (None, SideDisagreementResolved),
    AuditAction.SURGEON_CHANGED: (SurgeonState, SurgeonChanged),
    AuditAction.TIME_OUT_STARTED: (None, TimeOutStarted),
    AuditAction.TIME_OUT_ENDED: (None, TimeOutEnded),
    AuditAction.TIME_OUT_INVALIDATED: (None, TimeOutInvalidated),
}

__all__ = [
    "OPTIONAL_IMPLANT_KEYS",
    "PAYLOADS",
    "Cancelled",
    "CaseCreated",
    "CaseStatusState",
    "ConcernRaised",
    "ConcernResolved",
    "DebriefActionAdded",
    "DebriefActionClosed",
    "ImplantExplanted",
    "ImplantReadBack",
    "ImplantRemoved",
    "ImplantRow",
    "ImplantState",
    "ImplantWasted",
    "LoggedImplant",
    "Reviewed",
    "Scheduling",
    "SideDisagreementRaised",
    "SideDisagreementResolved",
    "SignatureRefused",
    "SignatureRow",
    "SignatureState",
    "StepAmended",
    "StepRecorded",
    "StepRow",
    "StepState",
    "StopOverridden",
    "SurgeonChanged",
    "SurgeonState",
    "TimeOutEnded",
    "TimeOutInvalidated",
    "TimeOutStarted",
    "cancelled",
    "case_created",
    "case_status",
    "concern_raised",
    "concern_resolved",
    "debrief_action_added",
    "debrief_action_closed",
    "implant_explanted",
    "implant_read_back",
    "implant_removed",
    "implant_state",
    "implant_wasted",
    "logged_implant",
    "reviewed",
    "scheduling",
    "side_disagreement_raised",
    "side_disagreement_resolved",
    "signature_refused",
    "signature_state",
    "step_amended",
    "step_recorded",
    "step_state",
    "stop_overridden",
    "surgeon_changed",
    "surgeon_state",
    "time_out_ended",
    "time_out_invalidated",
    "time_out_started",
]
