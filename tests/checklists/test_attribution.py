"""Who did what, in plain words: a step recorded by someone who does not hold its role is
recorded *for* that role ("recorded by Nora Nurse for the anaesthetist"), on the row, in its
audit event and in the record; the record never claims a role the person did not hold."""

import re

from django.urls import reverse

from accounts import roles
from accounts.choices import ClinicalRole
from checklists.audit import verify_audit
from checklists.choices import AuditAction
from tests.checklists.checklist_html import ANAESTHESIA, CONSENT, IDENTITY, row, step_of, text
from tests.conftest import events, make_procedure, make_user, record, record_phase
from tests.review.conftest import STEPS, amend_incision, signed_out


def last_recorded(case) -> dict:
    return events(case, action=AuditAction.STEP_RECORDED)[-1].after


def test_a_step_recorded_by_someone_of_its_role_is_theirs(case, nurse, anaesthetist):
    record(case, IDENTITY, nurse)  # a nurse's step, by the nurse
    record(case, CONSENT, nurse, value="yes")
    record_phase(case, "sign_in", nurse)
    induced = record(case, ANAESTHESIA, anaesthetist)

    assert (step_of(case, IDENTITY).recorded_for, induced.recorded_for) == ("", "")
    assert "recorded_for" not in last_recorded(case)  # the JSON of every earlier release


def test_a_step_recorded_by_someone_else_is_recorded_for_its_role(case, nurse):
    record_phase(case, "sign_in", nurse)
    induced = record(case, ANAESTHESIA, nurse)

    assert induced.recorded_for == ClinicalRole.ANAESTHETIST
    assert last_recorded(case)["recorded_for"] == "anaesthetist"
    assert verify_audit().ok


def test_a_surgeon_holds_the_surgeons_role_and_no_other(case, nurse, surgeon):
    for phase in ("sign_in", "induction"):
        record_phase(case, phase, nurse)
    confirmed = record(case, "Patient, procedure, side and position confirmed aloud", surgeon)
    team = record(case, "Team members introduced by name and role", surgeon)

    assert confirmed.role == "surgeon" and confirmed.recorded_for == ""
    assert team.role == "nurse" and team.recorded_for == ClinicalRole.NURSE


def test_someone_whose_theatre_role_is_unknown_records_for_every_role(case):
    locum = make_user("locum", roles.OR_STAFF, first_name="Lee", last_name="Locum")
    recorded = record(case, IDENTITY, locum)
    assert recorded.recorded_for == ClinicalRole.NURSE


def test_putting_a_step_back_to_pending_clears_whom_it_was_recorded_for(case, nurse):
    record_phase(case, "sign_in", nurse)
    record(case, ANAESTHESIA, nurse)
    undone = record(case, ANAESTHESIA, nurse, status="pending")
    assert undone.recorded_for == ""
    assert "recorded_for" not in last_recorded(case)
    assert verify_audit().ok


def test_the_row_says_for_whom_a_step_was_recorded(client, case, nurse, anaesthetist):
    record_phase(case, "sign_in", nurse)
    induced = record(case, ANAESTHESIA, nurse)
    client.force_login(anaesthetist)

    shown = text(row(client.get(f"/cases/{case.pk}/").content.decode(), induced))

    assert "For the anaesthetist to confirm" in shown
    assert re.search(r"Recorded by Nora Nurse for the anaesthetist at \d\d:\d\d", shown)
    identity = text(row(client.get(f"/cases/{case.pk}/").content.decode(), step_of(case, IDENTITY)))
    assert re.search(r"Recorded by Nora Nurse at \d\d:\d\d", identity)  # her own step


def test_an_amendment_is_recorded_for_the_steps_role_unless_the_surgeons(nurse, surgeon):
    procedure = make_procedure(*STEPS, title="Small fusion", slug="small-fusion")
    case = signed_out(procedure, nurse=nurse, surgeon=surgeon)  # its steps are the nurse's
    assert step_of(case, "Skin incision made").recorded_for == ClinicalRole.NURSE

    amend_incision(case, surgeon)

    assert step_of(case, "Skin incision made").recorded_for == ClinicalRole.NURSE
    amended = events(case, action=AuditAction.STEP_AMENDED)[-1].after
    assert amended["recorded_for"] == "nurse"
    assert verify_audit().ok


def test_the_record_lists_the_recorder_and_the_role_recorded_for(client, reviewer, case, nurse):
    record_phase(case, "sign_in", nurse)
    record(case, ANAESTHESIA, nurse)
    client.force_login(reviewer)

    words = text(client.get(reverse("review:record", args=[case.pk])).content.decode())

    assert "Nora Nurse for the anaesthetist" in words  # the steps table
    assert "Pending → Done (recorded for the anaesthetist)" in words  # the audit trail
    assert "Recorded for the anaesthetist" in words  # the team
    assert not re.search(r"Nora Nurse Circulating nurse, Anaesthetist", words)
