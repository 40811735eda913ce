"""``manage.py import_schedule``: the day's theatre list (CSV) into scheduled cases."""

import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Room
from checklists.audit import verify_audit
from checklists.choices import AuditAction, CaseStatus
from checklists.models import AuditEvent, Case, RecordAccess
from checklists.schedule_import import HEADER, import_schedule_csv
from tests.conftest import events, make_procedure, record

START = datetime.datetime(2026, 12, 1, 8, 0, tzinfo=datetime.UTC)
SECRET_NAME = "Zelda Quartermain"  # a name the report must never show


@pytest.fixture
def procedure(db):
    return make_procedure({"title": "Identity confirmed", "phase": "sign_in"}, slug="si-fusion")


@pytest.fixture
def rooms(db):
    for name in ("OR 1", "OR 2"):
        Room.objects.create(name=name)
    Room.objects.create(name="OR 9", active=False)


def row(
    number: int,
    *,
    start: datetime.datetime | None = None,
    room: str = "OR 1",
    procedure: str = "si-fusion",
    surgeon: str = "surgeon",
    birth_date: str = "1961-03-14",
    name: str = SECRET_NAME,
) -> str:
    start = start or START + datetime.timedelta(minutes=30 * number)
    return (
        f"APT-{number:04d},MRN{number:05d},{name},{birth_date},{procedure},left,{surgeon},"
        f"{room},{start.isoformat()}"
    )


def write(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "theatre-list.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def run(path: Path, by: str = "nurse") -> str:
    out = StringIO()
    call_command("import_schedule", str(path), "--by", by, stdout=out)
    return out.getvalue()


def test_a_200_row_list_imported_twice_gives_200_cases(procedure, rooms, nurse, surgeon, tmp_path):
    path = write(tmp_path, *(row(n) for n in range(1, 201)))

    assert "200 created, 0 updated, 0 unchanged, 0 refused." in run(path)
    assert "0 created, 0 updated, 200 unchanged, 0 refused." in run(path)

    assert Case.objects.count() == 200
    case = Case.objects.get(source_appointment_id="APT-0007")
    assert (case.patient_mrn, case.patient_name, case.room) == ("MRN00007", SECRET_NAME, "OR 1")
    assert (case.scheduled_start, case.status) == (
        START + datetime.timedelta(minutes=210),
        CaseStatus.SCHEDULED,
    )
    assert [event.action for event in events(case)] == [AuditAction.CASE_CREATED]
    assert events(case)[0].actor == nurse
    assert verify_audit().ok


def test_a_changed_time_or_room_moves_a_case_not_yet_started(
    procedure, rooms, nurse, surgeon, tmp_path
):
    run(write(tmp_path, row(1), row(2)))
    later = START + datetime.timedelta(hours=5)

    output = run(write(tmp_path, row(1, start=later, room="OR 2"), row(2)))

    assert "0 created, 1 updated, 1 unchanged, 0 refused." in output
    case = Case.objects.get(source_appointment_id="APT-0001")
    assert (case.scheduled_start, case.room) == (later, "OR 2")
    moved = events(case)[-1]
    assert (moved.action, moved.actor) == (AuditAction.CASE_RESCHEDULED, nurse)
    assert moved.before == {"room": "OR 1", "scheduled_start": "2026-12-01T08:30:00+00:00"}
    assert moved.after == {"room": "OR 2", "scheduled_start": "2026-12-01T13:00:00+00:00"}
    verdict = verify_audit()
    assert verdict.ok, [str(problem) for problem in verdict.problems]


def test_a_changed_time_of_a_started_case_is_refused(procedure, rooms, nurse, surgeon, tmp_path):
    run(write(tmp_path, row(1)))
    case = Case.objects.get()
    record(case, "Identity confirmed", nurse)

    output = run(write(tmp_path, row(1, start=START + datetime.timedelta(hours=5))))

    assert "0 created, 0 updated, 0 unchanged, 1 refused." in output
    assert "line 2 (appointment APT-0001): This case has started" in output
    case.refresh_from_db()
    assert case.scheduled_start == START + datetime.timedelta(minutes=30)
    assert AuditEvent.objects.filter(action=AuditAction.CASE_RESCHEDULED).count() == 0


def test_bad_rows_are_refused_by_line_and_the_others_imported(
    procedure, rooms, nurse, surgeon, tmp_path
):
    path = write(
        tmp_path,
        row(1),
        row(2, procedure="no-such-procedure"),
        row(3, birth_date="14/03/1961"),
        row(4, surgeon="nobody"),
        row(5, room="OR 7"),
        row(6, room="OR 9"),  # retired
        row(7, surgeon="nurse"),  # not a surgeon
        row(8).replace(START.isoformat()[:4], "soon", 1),
        row(9),
        row(1, room="OR 2"),  # the same appointment twice
        "APT-0011,MRN1,too,few",
    )

    output = run(path)

    assert "2 created, 0 updated, 0 unchanged, 9 refused." in output
    lines = output.splitlines()[1:]
    assert [line.split(":")[0] for line in lines] == [
        f"  line {n} (appointment APT-{n - 1:04d})" for n in range(3, 10)
    ] + ["  line 11 (appointment APT-0001)", "  line 12 (appointment APT-0011)"]
    assert "procedure “no-such-procedure” is not a procedure's slug." in lines[0]
    assert "birth_date is not a date as YYYY-MM-DD." in lines[1]
    assert "surgeon “nobody” is not a username." in lines[2]
    assert "“OR 7” is not a room in use" in lines[3]
    assert "“OR 9” is not a room in use" in lines[4]
    assert "must be an active member of the Surgeon role" in lines[5]
    assert "is not an ISO 8601 date and time" in lines[6]
    assert "The appointment is on line 2 already." in lines[7]
    assert "It has 4 fields where the header has 9." in lines[8]
    # the patient's identity is in none of it
    for secret in (SECRET_NAME, "MRN0000", "1961", "14/03"):
        assert secret not in output
    assert sorted(Case.objects.values_list("source_appointment_id", flat=True)) == [
        "APT-0001",
        "APT-0009",
    ]
    assert verify_audit().ok


def test_a_list_that_changes_the_patient_of_a_case_is_refused(
    procedure, rooms, nurse, surgeon, tmp_path
):
    run(write(tmp_path, row(1)))

    output = run(write(tmp_path, row(1, name="Someone Else")))

    case = Case.objects.get()
    assert f"line 2 (appointment APT-0001): Case {case.pk} was scheduled for another" in output
    assert "Someone Else" not in output
    assert case.patient_name == SECRET_NAME


def test_a_role_that_cannot_schedule_imports_nothing(procedure, rooms, reviewer, surgeon, tmp_path):
    output = run(write(tmp_path, row(1)), by="reviewer")

    assert "0 created, 0 updated, 0 unchanged, 1 refused." in output
    assert "Your role cannot schedule cases." in output
    assert not Case.objects.exists()


def test_a_file_without_the_header_is_refused_whole(db, nurse, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("appointment_id,mrn\nAPT-1,MRN1\n", encoding="utf-8")

    with pytest.raises(CommandError, match="lacks the columns patient_name, birth_date"):
        run(path)


def test_the_import_reads_no_patient_into_the_access_log(procedure, rooms, nurse, surgeon):
    data = "\n".join([HEADER.upper(), row(1)]).encode("utf-8-sig")

    report = import_schedule_csv(data, actor=nurse)

    assert (report.created, report.refused) == (1, [])
    assert not RecordAccess.objects.exists()


def test_an_unknown_user_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="There is no active user “ghost”"):
        run(write(tmp_path, row(1)), by="ghost")
