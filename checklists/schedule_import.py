"""The day's theatre list, read from the hospital's scheduling system into scheduled cases.

A CSV file (UTF-8, with or without a byte order mark; comma-separated; a header row naming its
columns in any order and letter case; other columns ignored) with one appointment a row:

- ``appointment_id``: the appointment's id in the scheduling system (at most 64 characters);
  one case per appointment, found by it again on the next import;
- ``mrn``, ``patient_name``, ``birth_date`` (``YYYY-MM-DD``): the patient, as the case keeps
  them, so that nobody retypes them at the tablet;
- ``procedure``: the procedure's slug (``si-joint-fusion-mis``, say), an active one with a
  published version;
- ``laterality``: ``left``, ``right``, ``bilateral`` or ``none`` (a general procedure's);
- ``surgeon``: the surgeon's username (an active member of the Surgeon role);
- ``room``: a room in use (``accounts.Room``, active), by its name;
- ``scheduled_start``: ISO 8601 (``2026-12-01T08:30:00+01:00``); without an offset, the
  hospital's time zone (``TIME_ZONE``).

Each row is read on its own, in its own transaction, through the workflow: a new appointment
schedules a case (``workflow.create_case``); a known one whose time or room changed moves its
case if the case has not started (``workflow.reschedule_case``, with its audit event), and is
refused if it has; one that says what the case says is left alone, so a second import of the
same list changes nothing. A row that changes what only the team may change (the patient, the
procedure, the side, the surgeon) is refused. A refused row is reported with its line number,
its appointment id and the reason, and the other rows are still read. Reasons never hold the
patient's identity: the report goes to the console, to an integration engine and its logs.
"""

import csv
import datetime
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.context import NO_CONTEXT, RequestContext
from accounts.text import normalise_identity
from checklists import workflow
from checklists.choices import Laterality
from checklists.errors import WorkflowError
from checklists.models import Case, max_length
from procedures.models import Procedure

COLUMNS = (
    "appointment_id",
    "mrn",
    "patient_name",
    "birth_date",
    "procedure",
    "laterality",
    "surgeon",
    "room",
    "scheduled_start",
)
HEADER = ",".join(COLUMNS)
ID = "source_appointment_id"  # the Case field that keeps the appointment's id


class UnreadableFile(ValueError):
    """The file as a whole cannot be read (not UTF-8, no header, a column missing)."""


@dataclass(frozen=True)
class Refusal:
    line: int  # the row's line in the file (the header is line 1); a Bundle's entry number
    appointment_id: str  # "" when the row has none
    reason: str  # in words; never the patient's identity


@dataclass
class ScheduleReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[Refusal] = field(default_factory=list)
    # What a refusal's number counts: a CSV's "line", a FHIR Bundle's "entry".
    unit: str = "line"

    def as_json(self) -> dict[str, object]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "refused": [
                {self.unit: r.line, "appointment_id": r.appointment_id, "reason": r.reason}
                for r in sorted(self.refused, key=lambda r: r.line)
            ],
        }


@dataclass(frozen=True)
class Appointment:
    """One appointment of the list, read but not yet checked against the database."""

    line: int
    appointment_id: str
    mrn: str
    patient_name: str
    birth_date: datetime.date
    procedure: str  # slug
    laterality: str
    surgeon: str  # username
    room: str
    scheduled_start: datetime.datetime


class RowRefused(Exception):
    """A row that cannot be read; its message says why, without the patient's identity."""


def import_schedule_csv(
    data: bytes, *, actor: User, context: RequestContext = NO_CONTEXT
) -> ScheduleReport:
    """Read a theatre list CSV's bytes into scheduled cases (see the module's docstring)."""
    report = ScheduleReport()
    appointments: list[Appointment] = []
    names, rows = read_csv(data)
    for line, fields in rows:
        given = dict(zip(names, fields, strict=False))
        try:
            appointments.append(appointment_from_row(line, names, fields))
        except RowRefused as refused:
            appointment_id = given.get("appointment_id", "")[: max_length(Case, ID)]
            report.refused.append(Refusal(line, appointment_id, str(refused)))
    return import_appointments(appointments, actor=actor, context=context, report=report)


def read_csv(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header's column names (lower-cased) and each row that is not blank, with the line
    it starts on, its fields stripped."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableFile(
            f"The file is not UTF-8 text (byte {error.start + 1} cannot be read)."
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if not header or not any(name.strip() for name in header):
            raise UnreadableFile(f"The file is empty: its first line is the header, {HEADER}.")
        names = [name.strip().lower() for name in header]
        missing = [name for name in COLUMNS if name not in names]
        if missing:
            raise UnreadableFile(
                f"The header row lacks the column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)}. It reads: {HEADER}."
            )
        rows, start = [], reader.line_num + 1
        for fields in reader:
            line, start = start, reader.line_num + 1
            if any(value.strip() for value in fields):
                rows.append((line, [value.strip() for value in fields]))
    except csv.Error as error:
        raise UnreadableFile(f"Line {reader.line_num} is not CSV: {error}.") from None
    return names, rows


def appointment_from_row(line: int, names: list[str], fields: list[str]) -> Appointment:
    """One row as an appointment; ``RowRefused`` says what is wrong with it."""
    if len(fields) != len(names):
        raise RowRefused(f"It has {len(fields)} fields where the header has {len(names)}.")
    if any("\x00" in value for value in fields):
        raise RowRefused("It holds a NUL character, which no text field can store.")
    row = dict(zip(names, fields, strict=True))
    appointment_id = row["appointment_id"]
    if not appointment_id:
        raise RowRefused("appointment_id is empty: every row needs the appointment's id.")
    limit = max_length(Case, ID)
    if len(appointment_id) > limit:
        raise RowRefused(f"appointment_id is longer than {limit} characters.")
    for column in ("mrn", "patient_name", "procedure", "surgeon", "room"):
        if not row[column]:
            raise RowRefused(f"{column} is empty.")
    try:
        birth_date = datetime.date.fromisoformat(row["birth_date"])
    except ValueError:
        # The value itself is the patient's: never repeated.
        raise RowRefused("birth_date is not a date as YYYY-MM-DD.") from None
    laterality = row["laterality"].lower()
    if laterality not in Laterality.values:
        raise RowRefused(
            f"laterality “{row['laterality'][:20]}” is not left, right, bilateral or none."
        )
    return Appointment(
        line=line,
        appointment_id=appointment_id,
        mrn=row["mrn"],
        patient_name=row["patient_name"],
        birth_date=birth_date,
        procedure=row["procedure"],
        laterality=laterality,
        surgeon=row["surgeon"],
        room=row["room"],
        scheduled_start=parse_start(row["scheduled_start"], column="scheduled_start"),
    )


def parse_start(text: str, *, column: str) -> datetime.datetime:
    """An ISO 8601 date and time; without an offset, in the hospital's time zone."""
    try:
        start = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise RowRefused(
            f"{column} “{text[:40]}” is not an ISO 8601 date and time "
            "(e.g. 2026-12-01T08:30:00+01:00)."
        ) from None
    if timezone.is_naive(start):
        start = timezone.make_aware(start)
    return start


def import_appointments(
    appointments: list[Appointment],
    *,
    actor: User,
    context: RequestContext = NO_CONTEXT,
    report: ScheduleReport,
) -> ScheduleReport:
    """Schedule, move or leave alone each appointment's case, each in its own transaction;
    the ones that cannot be are added to ``report`` as refused."""
    procedures = Procedure.objects.in_bulk({a.procedure for a in appointments}, field_name="slug")
    surgeons = User.objects.in_bulk({a.surgeon for a in appointments}, field_name="username")
    known = Case.objects.in_bulk([a.appointment_id for a in appointments], field_name=ID)
    seen: dict[str, int] = {}
    for appointment in appointments:
        first = seen.setdefault(appointment.appointment_id, appointment.line)
        if first != appointment.line:
            reason = f"The appointment is on line {first} already."
        else:
            try:
                with transaction.atomic():
                    outcome = _import_one(
                        appointment,
                        case=known.get(appointment.appointment_id),
                        procedure=procedures.get(appointment.procedure),
                        surgeon=surgeons.get(appointment.surgeon),
                        actor=actor,
                        context=context,
                    )
            except (RowRefused, WorkflowError) as refused:
                reason = str(refused)
            except IntegrityError:  # imported meanwhile by another run
                reason = "A case was already scheduled from this appointment."
            else:
                setattr(report, outcome, getattr(report, outcome) + 1)
                continue
        report.refused.append(Refusal(appointment.line, appointment.appointment_id, reason))
    return report


def _import_one(
    appointment: Appointment,
    *,
    case: Case | None,
    procedure: Procedure | None,
    surgeon: User | None,
    actor: User,
    context: RequestContext,
) -> str:
    """What became of the appointment: "created", "updated" or "unchanged"."""
    if procedure is None:
        raise RowRefused(f"procedure “{appointment.procedure[:60]}” is not a procedure's slug.")
    if surgeon is None:
        raise RowRefused(f"surgeon “{appointment.surgeon[:60]}” is not a username.")
    if case is None:
        workflow.create_case(
            actor=actor,
            procedure=procedure,
            patient_mrn=appointment.mrn,
            patient_name=appointment.patient_name,
            patient_birth_date=appointment.birth_date,
            laterality=appointment.laterality,
            surgeon=surgeon,
            room=appointment.room,
            scheduled_start=appointment.scheduled_start,
            source_appointment_id=appointment.appointment_id,
            context=context,
        )
        return "created"
    kept = (case.patient_mrn, case.patient_name, case.patient_birth_date)
    listed = (appointment.mrn, normalise_identity(appointment.patient_name), appointment.birth_date)
    if kept != listed:
        raise RowRefused(
            f"Case {case.pk} was scheduled for another patient: the list cannot change the "
            "patient of a case (cancel it and schedule another)."
        )
    if (case.procedure_id, case.laterality, case.surgeon_id) != (
        procedure.pk,
        appointment.laterality,
        surgeon.pk,
    ):
        raise RowRefused(
            f"Case {case.pk} has another procedure, side or surgeon: the list changes only "
            "the time and room of a case."
        )
    if (case.room, case.scheduled_start) == (appointment.room, appointment.scheduled_start):
        return "unchanged"
    workflow.reschedule_case(
        actor=actor,
        case_id=case.pk,
        room=appointment.room,
        scheduled_start=appointment.scheduled_start,
        context=context,
    )
    return "updated"


def report_lines(report: ScheduleReport) -> Iterator[str]:
    """The report in lines, for a person: the counts, then each refusal."""
    yield (
        f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
        f"{len(report.refused)} refused."
    )
    for refusal in sorted(report.refused, key=lambda r: r.line):
        where = f" (appointment {refusal.appointment_id})" if refusal.appointment_id else ""
        yield f"  {report.unit} {refusal.line}{where}: {refusal.reason}"
