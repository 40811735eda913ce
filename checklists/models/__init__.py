"""Cases and their records. Reads are free; every write goes through checklists.workflow.

One module per aggregate: the case and its steps (``case``), its implants and signatures
(``records``), the Stops the team calls (``concerns``), the sides that disagree
(``sides``), the debrief's actions (``debrief``), the team's Time Outs (``time_out``),
how well a closed case's checks were done (``quality``), the audit trail (``audit``,
sealed as ``sealing`` says), the access log (``access``) and the dashboard's day-by-day
counts of closed cases (``summary``).
Everything is importable from ``checklists.models``, as Django and the migrations expect.
"""

from checklists.models.access import RECORD_ACCESS_APPEND_ONLY, RecordAccess, RecordAccessQuerySet
from checklists.models.audit import AppendOnlyQuerySet, AuditEvent
from checklists.models.case import (
    Case,
    CaseStep,
    complete_q,
    departs_from_expected,
    is_stop,
    max_length,
    validate_birth_date,
    validate_mrn,
)
from checklists.models.concerns import Concern
from checklists.models.debrief import DebriefAction
from checklists.models.quality import CaseQuality
from checklists.models.records import Implant, Signature
from checklists.models.sealing import (
    UnknownAuditKey,
    audit_key,
    audit_key_id,
    canonical_json,
    sha256_json,
)
from checklists.models.sides import SideDisagreement
from checklists.models.summary import (
    CaseCount,
    ImplantProductCount,
    ImplantSideCount,
    QualityCount,
    SpreadCount,
    StepCount,
)
from checklists.models.time_out import (
    REQUIRED_TEAM_ROLES,
    TEAM_ROLES,
    TimeOut,
    TimeOutGate,
    gate_of,
    time_out_gate,
)

__all__ = [
    "RECORD_ACCESS_APPEND_ONLY",
    "REQUIRED_TEAM_ROLES",
    "TEAM_ROLES",
    "AppendOnlyQuerySet",
    "AuditEvent",
    "Case",
    "CaseCount",
    "CaseQuality",
    "CaseStep",
    "Concern",
    "DebriefAction",
    "Implant",
    "ImplantProductCount",
    "ImplantSideCount",
    "QualityCount",
    "RecordAccess",
    "RecordAccessQuerySet",
    "SideDisagreement",
    "Signature",
    "SpreadCount",
    "StepCount",
    "TimeOut",
    "TimeOutGate",
    "UnknownAuditKey",
    "audit_key",
    "audit_key_id",
    "canonical_json",
    "complete_q",
    "departs_from_expected",
    "gate_of",
    "is_stop",
    "max_length",
    "sha256_json",
    "time_out_gate",
    "validate_birth_date",
    "validate_mrn",
]
