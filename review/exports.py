"""CSV exports of the review list, streamed so that 100k cases export with flat memory.

Every cell that a spreadsheet would read as a formula (one starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return) gets a leading apostrophe: a value typed on a tablet must
never run as a formula on a reviewer's desktop (OWASP, "CSV injection").
"""

import csv
import datetime
import io
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from accounts.people import display_name, display_name_from
from checklists import quality
from checklists.choices import CaseStatus, Laterality, Side, StepStatus
from checklists.compliance import time_out_before_incision
from checklists.models import Case, Implant
from procedures.choices import Phase
from review import selectors
from review.choices import ExportRows

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Rows are written into a buffer and sent once it holds this much: one chunk per row would
# cost the server a write per row.
CHUNK_BYTES = 64 * 1024

CASE_HEADER = (
    "Case",
    "Date",
    "Start",
    "Room",
    "Procedure",
    "Side",
    "Surgeon",
    "Status",
    "Required steps complete",
    "Time Out before incision",
    "Amended",
    "In room",
    "Time Out complete",
    "Incision",
    "Signed out",
    "Duration (min)",
    "Reviewed at",
    "Reviewed by",
    "Cancel reason",
    "Time Out read aloud (s)",
    "Full team at the Time Out",
    "Every item spoken aloud",
    "Everyone stopped and present",
    "Interruptions",
    "Stops called",
    "Longest Stop (s)",
    "Time Outs repeated",
    "Recorded after the fact",
)
STEP_HEADER = (
    "Case",
    "Date",
    "Procedure",
    "Surgeon",
    "Phase",
    "Position",
    "Step",
    "Side",
    "Required",
    "Status",
    "Value",
    "Unit",
    "Note",
    "Reason not applicable",
    "Recorded by",
    "Recorded at",
)


def neutralise_row(row: Iterable[Any]) -> list[Any]:
    """Cells as a spreadsheet may open them safely: text that would start a formula is
    prefixed with an apostrophe, which spreadsheets show as text and do not evaluate.
    (One comprehension per row rather than a call per cell: exports run to millions of cells.)"""
    return [
        f"'{cell}" if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) else cell
        for cell in row
    ]


def neutralise(value: Any) -> Any:
    """One cell, as ``neutralise_row`` does it."""
    return neutralise_row([value])[0]


def csv_response(cases: QuerySet[Case], *, rows: str) -> StreamingHttpResponse:
    """The export of ``cases`` (the filtered list, in its order) as a streamed CSV file."""
    local = LocalTime(timezone.get_current_timezone())
    if rows == ExportRows.STEPS:
        pairs = selectors.step_export_rows(cases)
        lines = _stream(STEP_HEADER, (_step_row(case, step, local) for case, step in pairs))
    else:
        case_rows = selectors.case_export_rows(cases)
        lines = _stream(CASE_HEADER, (_case_row(case, local) for case in case_rows))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="si-tracker-{rows}-{stamp}.csv"'
    return response


RECALL_HEADER = (
    "Case",
    "Date",
    "Room",
    "Procedure",
    "Surgeon",
    "Case status",
    "Patient",
    "MRN",
    "Side",
    "Company",
    "Product",
    "Size",
    "GTIN",
    "Lot",
    "Serial",
    "Expiry",
    "Logged at",
    "Implant status",
    "Opened, not implanted: reason",
    "Explanted on",
    "Explant reason",
)
RECALL_CHUNK = 2000


def recall_csv_response(implants: QuerySet[Implant]) -> StreamingHttpResponse:
    """A recall look-up's implants, each with its case and patient, as a streamed CSV file."""
    local = LocalTime(timezone.get_current_timezone())
    rows = (_recall_row(implant, local) for implant in implants.iterator(RECALL_CHUNK))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        _stream(RECALL_HEADER, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="si-tracker-recall-{stamp}.csv"'
    return response


def _recall_row(implant: Implant, local: "LocalTime") -> list[Any]:
    case = implant.case
    return [
        case.pk,
        local.date(case.scheduled_start),
        case.room,
        case.procedure.title,
        display_name(case.surgeon),
        CaseStatus(case.status).label,
        case.patient_name,
        case.patient_mrn,
        Side(implant.side).label,
        implant.manufacturer,
        implant.product,
        implant.size,
        implant.gtin,
        implant.lot,
        implant.serial,
        implant.expiry.isoformat() if implant.expiry else "",
        local.moment(implant.added_at),
        implant.get_status_display(),
        implant.wasted_reason,
        implant.explanted_on.isoformat() if implant.explanted_on else "",
        implant.explant_reason,
    ]


def _stream(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # a byte order mark, so that spreadsheets read the file as UTF-8
    writer.writerow(header)
    for row in rows:
        writer.writerow(neutralise_row(row))
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _case_row(case: dict[str, Any], local: "LocalTime") -> list[Any]:
    start = case["scheduled_start"]
    time_out, incision = case["time_out_at"], case["incision_at"]
    started, completed = case["started_at"], case["completed_at"]
    duration = round((completed - started).total_seconds() / 60) if started and completed else ""
    return [
        case["pk"],
        local.date(start),
        local.time(start),
        case["room"],
        case["procedure__title"],
        Laterality(case["laterality"]).label,
        _name(case, "surgeon"),
        CaseStatus(case["status"]).label,
        _yes_no(case["required_complete"]),
        _yes_no(time_out_before_incision(time_out, incision)),  # the two times already read
        _yes_no(case["amended"]),
        local.moment(started),
        local.moment(time_out),
        local.moment(incision),
        local.moment(completed),
        duration,
        local.moment(case["reviewed_at"]),
        _name(case, "reviewed_by"),
        case["cancel_reason"],
        *_quality_cells(case),
    ]


def _quality_cells(case: dict[str, Any]) -> list[Any]:
    """The case's quality facts (``CaseQuality``): the Time Out's empty when none was read
    aloud, all empty for a case without its facts stored."""

    def fact(name: str) -> Any:
        return case[f"quality__{name}"]

    if fact("stops") is None:
        return [""] * 9
    read = fact("surgeon_present") is not None

    def known(value: Any) -> Any:
        return value if read else ""

    return [
        known(fact("time_out_seconds")),
        known(_yes_no(all(fact(f"{role}_present") for role in quality.ROLES))),
        known(_yes_no(fact("all_items_spoken"))),
        known(_yes_no(fact("everyone_present"))),
        known(fact("interruptions")),
        fact("stops"),
        fact("longest_stop_seconds") if fact("longest_stop_seconds") is not None else "",
        fact("time_outs_repeated"),
        _yes_no(fact("recorded_after_the_fact")),
    ]


def _step_row(case: dict[str, Any], step: Any, local: "LocalTime") -> list[Any]:
    recorded_by = display_name_from(
        step.recorded_by__first_name, step.recorded_by__last_name, step.recorded_by__username
    )
    return [
        case["pk"],
        local.date(case["scheduled_start"]),
        case["procedure__title"],
        _name(case, "surgeon"),
        Phase(step.phase).label,
        step.position,
        step.title,
        Side(step.side).label if step.side else "",
        _yes_no(step.required),
        StepStatus(step.status).label,
        step.value,
        step.unit,
        step.note,
        step.na_reason,
        recorded_by,
        local.moment(step.recorded_at),
    ]


class LocalTime:
    """Moments in the hospital's time zone, read once per export (``timezone.localtime`` looks
    it up again for every call: a third of an export's time, measured)."""

    def __init__(self, zone: datetime.tzinfo) -> None:
        self.zone = zone

    def moment(self, moment: datetime.datetime | None) -> str:
        """``2025-03-04 08:30``"""
        return moment.astimezone(self.zone).isoformat(" ", "minutes")[:16] if moment else ""

    def date(self, moment: datetime.datetime) -> str:
        return self.moment(moment)[:10]

    def time(self, moment: datetime.datetime) -> str:
        return self.moment(moment)[11:]


def _name(row: dict[str, Any], prefix: str) -> str:
    return display_name_from(
        row[f"{prefix}__first_name"], row[f"{prefix}__last_name"], row[f"{prefix}__username"]
    )


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"
