"""The bulk rows' columns, and the small records a case's history moves as it is built.

Rows are plain tuples in the column order below (``checklists.bulk.database`` checks it
against the models); ``StepAnswer``, ``Event`` and ``Chain`` stand in for model instances
where a case has too many of them (100k cases make some 7 million steps and events).
"""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from checklists.bulk.cast import Person
from checklists.choices import StepStatus
from checklists.models import AuditEvent, audit_key_id
from checklists.workflow.cases import SNAPSHOT_FIELDS

# Fresh primary keys, by table: "case", "step", "implant", "signature", "event", "time_out",
# "concern".
Ids = dict[str, Iterator[int]]

# Column order of each table's rows (checked against the models by checklists.bulk.database).
CASE_COLUMNS = (
    "id", "patient_mrn", "patient_name", "patient_birth_date", "procedure_id",
    "procedure_version_id", "laterality", "surgeon_id", "room", "scheduled_start", "status",
    "created_by_id", "created_at",
    "started_at", "completed_at", "reviewed_at", "reviewed_by_id", "review_comment",
    "cancelled_at", "cancel_reason", "version", "audit_seq", "audit_head", "time_out_at",
    "incision_at", "required_complete", "amended", "source_appointment_id",
)  # fmt: skip
# A step row: its snapshot of the template (the same in every case of a layout), then its answer.
SNAPSHOT_COLUMNS = ("template_step_id", "position", "side", *SNAPSHOT_FIELDS)
ANSWER_COLUMNS = (
    "status", "value", "note", "na_reason", "recorded_by_id", "recorded_at", "recorded_for",
    "revision", "stop_override_reason", "stop_overridden_by_id", "stop_overridden_at",
)  # fmt: skip
STEP_COLUMNS = ("id", "case_id", *SNAPSHOT_COLUMNS, *ANSWER_COLUMNS)
IMPLANT_COLUMNS = (
    "id", "case_id", "side", "position", "manufacturer", "product", "size", "lot", "expiry",
    "serial", "gtin", "udi", "expiry_override_reason", "entry", "carrier",
    "duplicate_override_reason", "wasted_reason", "explanted_on", "explant_reason",
    "added_by_id", "added_at", "read_back_by_id", "read_back_at",
)  # fmt: skip
SIGNATURE_COLUMNS = (
    "id", "case_id", "signer_id", "printed_name", "meaning", "signed_at", "content_hash",
    "reason", "amended_step_id",
)  # fmt: skip
TIME_OUT_COLUMNS = (
    "id", "case_id", "side", "started_by_id", "started_at", "ended_by_id", "ended_at",
    "surgeon_id", "anaesthetist_id", "circulating_nurse_id", "scrub_id", "all_items_spoken",
    "everyone_present", "interruptions", "invalidated_at", "invalidated_by_id",
    "invalidated_reason",
)  # fmt: skip
CONCERN_COLUMNS = (
    "id", "case_id", "reason", "raised_by_id", "raised_at", "resolution", "resolved_by_id",
    "resolved_at",
)  # fmt: skip
EVENT_COLUMNS = (
    "id", "case_id", "seq", "step_id", "actor_id", "action", "before", "after", "created_at",
    "remote_addr", "user_agent", "prev_hash", "hash", "key_id",
)  # fmt: skip


@dataclass
class Rows:
    cases: list[tuple] = field(default_factory=list)
    steps: list[tuple] = field(default_factory=list)
    implants: list[tuple] = field(default_factory=list)
    signatures: list[tuple] = field(default_factory=list)
    time_outs: list[tuple] = field(default_factory=list)
    concerns: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)


@dataclass(slots=True)
class StepAnswer:
    """A step row's answer columns (``ANSWER_COLUMNS``) as the case's history moves them: what
    ``payloads.step_state`` reads of a ``CaseStep``, without a model instance per step."""

    status: str = StepStatus.PENDING.value
    value: str = ""
    note: str = ""
    na_reason: str = ""
    recorded_by_id: int | None = None
    recorded_at: datetime.datetime | None = None
    recorded_for: str = ""
    revision: int = 0
    # Generated cases give the expected answers: no Stop, so no override either.
    stop_override_reason: str = ""
    stop_overridden_by_id: int | None = None
    stop_overridden_at: datetime.datetime | None = None

    def record(
        self,
        status: str,
        value: str,
        note: str,
        na_reason: str,
        by: int,
        at: datetime.datetime,
        *,
        recorded_for: str = "",
    ) -> None:
        """As ``workflow.record_step`` (or ``amend``) leaves the row; ``recorded_for`` is the
        step's role when ``by`` does not hold it."""
        self.status, self.value, self.note, self.na_reason = status, value, note, na_reason
        self.recorded_by_id, self.recorded_at, self.recorded_for = by, at, recorded_for
        self.revision += 1


@dataclass
class Event:
    """What ``AuditEvent.compute_hash`` reads, without a model instance per event (millions)."""

    case_id: int
    seq: int
    step_id: int | None
    actor_id: int
    action: str
    before: Any
    after: Any
    created_at: datetime.datetime
    remote_addr: None = None
    user_agent: str = ""
    prev_hash: str = ""
    hash: str = ""
    key_id: str = field(default_factory=audit_key_id)


@dataclass
class Chain:
    """A case's audit events, appended as ``append_event`` appends them, and its version."""

    case_id: int
    events: list[Event] = field(default_factory=list)
    version: int = 0

    def append(
        self,
        action: str,
        actor: Person,
        at: datetime.datetime,
        *,
        step_id: int | None = None,
        before: Any = None,
        after: Any = None,
        bump_version: bool = True,
    ) -> None:
        event = Event(
            self.case_id, len(self.events) + 1, step_id, actor.pk, action, before, after, at
        )
        event.prev_hash = self.events[-1].hash if self.events else ""
        # The verifier's own hash; it reads these attributes as it reads a model's.
        event.hash = AuditEvent.compute_hash(event)  # type: ignore[arg-type]
        self.events.append(event)
        self.version += bump_version
