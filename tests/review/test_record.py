import datetime
import html
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Room
from checklists import bulk, workflow
from checklists.choices import AuditAction, CaseStatus
from checklists.models import AuditEvent, Case, CaseStep
from procedures.models import Procedure
from tests.conftest import events, make_case, record, tamper
from tests.review.conftest import amend_incision, signed_out, work_through


def page_of(client, case) -> str:
    response = client.get(reverse("review:record", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def text(html: str) -> str:
    """The page's words, tags removed and spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def bilateral(nurse, surgeon):
    procedure = Procedure.objects.get(slug="si-fusion-minimally-invasive")
    case = make_case(procedure, actor=nurse, surgeon=surgeon, laterality="bilateral")
    work_through(
        case,
        nurse=nurse,
        surgeon=surgeon,
        na={"Specimens labelled": "No specimen taken"},
    )
    return case


def test_the_record_shows_patient_identity_and_the_case(logged_in, bilateral):
    words = text(page_of(logged_in, bilateral))
    assert "Patient Pat Example" in words
    assert "Date of birth 14 Mar 1961" in words
    assert "MRN MRN0042" in words
    assert (
        "Procedure SI joint fusion — minimally invasive (lateral transiliac) "
        "(template version 2)" in words
    )
    assert "Side Bilateral" in words
    assert "Surgeon Sue Surgeon" in words


def test_the_record_shows_the_cases_times(logged_in, bilateral):
    bilateral.refresh_from_db()
    time_out = bilateral.steps.filter(phase="time_out").latest("recorded_at").recorded_at
    incision = bilateral.steps.get(title="Lateral buttock incision made", side="left").recorded_at
    page = page_of(logged_in, bilateral)
    for label, moment in [
        ("In room (first step recorded)", bilateral.started_at),
        ("Time Out complete", time_out),
        ("Incision", incision),
        ("Signed out", bilateral.completed_at),
    ]:
        stamp = moment.astimezone().strftime("%H:%M:%S")
        row = re.search(rf"<th scope=\"row\">{re.escape(label)}</th><td>(.*?)</td>", page)
        assert row is not None, label
        assert stamp in row[1], label


def test_the_record_lists_every_step_by_phase_with_answer_who_and_when(logged_in, bilateral):
    page = page_of(logged_in, bilateral)
    headings = re.findall(r'<h2 class="h4" id="phase-(\w+)">', page)
    assert headings == ["sign_in", "induction", "time_out", "procedure", "sign_out"]
    rows = re.findall(r'<tr class="step-(\w+)">', page)
    assert len(rows) == bilateral.steps.count()
    words = text(page)
    assert "Lateral buttock incision made (Left) Done 4 cm" in words
    assert "Lateral buttock incision made (Right) Done 4 cm" in words
    assert "Not applicable Not applicable: No specimen taken" in words
    assert "Nora Nurse" in words


def test_the_record_lists_implants_with_their_udi_parts(logged_in, bilateral):
    words = text(page_of(logged_in, bilateral))
    serial = f"SNL1C{bilateral.pk}"
    implant = (
        f"Left 1 SI-BONE iFuse-3D 7.0 x 45 Implanted 00812345678901 LOT123 {serial} 31 Dec 2028"
    )
    assert implant in words
    assert f"(01)00812345678901(17)281231(10)LOT123(21)SNR2C{bilateral.pk}" in words
    # Who logged each implant and who confirmed its read-back before opening, and when.
    assert re.search(r"Sue Surgeon, \d\d:\d\d; read back: Sue Surgeon, \d\d:\d\d", words)
    assert re.search(r"Read aloud before opening: right side, implant 2", words)


def test_the_record_shows_the_signature_and_the_team(logged_in, bilateral):
    words = text(page_of(logged_in, bilateral))
    assert "Signed by Sue Surgeon Meaning Case signed out by surgeon Signed at" in words
    assert "Sue Surgeon Surgeon of record, Surgeon, Signed: case signed out by surgeon" in words
    # The nurse ticked the anaesthetist's and the scrub's steps too: recorded for them, never
    # claimed as roles she holds.
    assert re.search(
        r"Nora Nurse Circulating nurse, Recorded for the anaesthetist, "
        r"Recorded for the scrub tech \d+",
        words,
    )
    assert "Nora Nurse for the anaesthetist" in words


def signature_block(page: str) -> str:
    return re.search(r'<section class="signature-block".*?</section>', page, re.S)[0]


def test_the_record_shows_the_signature_date_and_time_to_the_minute(
    logged_in, procedure, nurse, surgeon
):
    case = signed_out(procedure, nurse=nurse, surgeon=surgeon)
    signed_at = timezone.localtime(case.signatures.get().signed_at)

    block = signature_block(page_of(logged_in, case))

    shown = f"{signed_at.day} {signed_at:%b %Y, %H:%M}"  # 30 Nov 2026, 14:05
    machine = signed_at.isoformat(timespec="seconds")  # HTML allows at most 3 decimals: none
    assert f'<time datetime="{machine}">{shown}</time>' in block


def test_an_unsigned_cases_record_says_it_is_not_signed(logged_in, procedure, nurse, surgeon):
    case = make_case(procedure, actor=nurse, surgeon=surgeon)

    block = signature_block(page_of(logged_in, case))

    assert text(block).strip() == "Signatures Not signed."


def test_the_record_shows_the_same_signature_block_as_the_checklist(
    logged_in, procedure, nurse, surgeon
):
    case = signed_out(procedure, nurse=nurse, surgeon=surgeon)
    amend_incision(case, surgeon)
    checklist = Client()
    checklist.force_login(surgeon)

    on_checklist = checklist.get(reverse("case-sign-out", args=[case.pk])).content.decode()

    assert signature_block(page_of(logged_in, case)) == signature_block(on_checklist)


def test_the_record_shows_an_amendment_with_the_original_value(
    logged_in, procedure, nurse, surgeon
):
    case = signed_out(procedure, nurse=nurse, surgeon=surgeon, incision="4")
    amend_incision(case, surgeon, value="5", reason="Measured again")

    words = text(page_of(logged_in, case))

    assert "Skin incision made Done: 4 Done: 5 Measured again Sue Surgeon" in words
    assert "Amended" in words and "was: Done: 4" in words
    assert "Meaning Amendment to a signed case, approved by surgeon" in words
    assert "Amended step Skin incision made Reason Measured again" in words


def test_the_audit_trail_lists_every_event_in_order(logged_in, procedure, nurse, surgeon):
    case = signed_out(procedure, nurse=nurse, surgeon=surgeon, incision="4")
    page = page_of(logged_in, case)
    trail = re.search(r'<table class="table table-sm record-timeline">(.*?)</table>', page, re.S)
    rows = re.findall(r"<tr><td>(\d+)</td>", trail[1])
    assert rows == [str(event.seq) for event in events(case)]
    words = text(trail[1])
    assert "Case scheduled" in words
    assert "Skin incision made Pending → Done: 4" in words
    assert "Sue Surgeon Case signed out Sue Surgeon: Case signed out by surgeon" in words


def test_the_audit_trail_says_why_a_hard_stop_went_back_to_pending(
    logged_in, procedure, nurse, surgeon
):
    case = make_case(procedure, actor=nurse, surgeon=surgeon)
    record(case, "Identity confirmed", nurse)
    record(case, "Identity confirmed", nurse, status="pending", reason="Band read from bed 4")

    words = text(page_of(logged_in, case))

    assert "Identity confirmed Done → Pending. Reason: Band read from bed 4" in words


def test_an_intact_audit_chain_is_shown_verified(logged_in, procedure, nurse, surgeon):
    case = signed_out(procedure, nurse=nurse, surgeon=surgeon)
    page = page_of(logged_in, case)
    assert 'id="audit-chain">Audit chain verified</p>' in page
    assert "BROKEN" not in page


def test_an_event_altered_in_the_database_is_shown_broken(logged_in, procedure, nurse, surgeon):
    case = signed_out(procedure, nurse=nurse, surgeon=surgeon)
    event = events(case)[2]
    tamper(AuditEvent, "UPDATE {table} SET after = %s WHERE id = %s", '{"status": "na"}', event.pk)

    page = page_of(logged_in, case)

    assert 'id="audit-chain">Audit chain BROKEN</p>' in page
    assert f"Case {case.pk}, event #3 (id {event.pk})" in page
    assert "altered" in page


def test_a_row_changed_in_the_database_is_shown_broken_with_its_difference(
    logged_in, procedure, nurse, surgeon
):
    case = signed_out(procedure, nurse=nurse, surgeon=surgeon, incision="4")
    incision = case.steps.get(title="Skin incision made")
    tamper(CaseStep, "UPDATE {table} SET value = '5' WHERE id = %s", incision.pk)

    page = html.unescape(page_of(logged_in, case))

    assert 'id="audit-chain">Audit chain BROKEN</p>' in page
    assert (
        f"<li>Case {case.pk}, step 'Skin incision made': the chain says value '4', "
        "the row says '5'</li>"
    ) in page


def test_an_open_cases_record_shows_its_compliance_as_its_steps_stand(
    logged_in, procedure, nurse, surgeon
):
    case = make_case(procedure, actor=nurse, surgeon=surgeon)
    record(case, "Identity confirmed", nurse)
    team = record(case, "Team introduced", nurse)
    record(case, "Skin incision made", surgeon, value="4")

    page = page_of(logged_in, case)

    row = re.search(r'<th scope="row">Time Out complete</th><td>(.*?)</td>', page)
    assert team.recorded_at.astimezone().strftime("%H:%M:%S") in row[1]
    compliance = text(re.search(r'id="compliance-heading".*?</table>', page, re.S)[0])
    assert "Required steps complete No" in compliance  # the wound is not closed yet
    assert "Time Out recorded before incision Yes" in compliance
    assert Case.objects.get(pk=case.pk).time_out_at is None  # shown, not stored


def test_a_missing_case_is_a_404(logged_in, db):
    assert logged_in.get(reverse("review:record", args=[999])).status_code == 404


def test_a_cancelled_case_shows_its_reason_and_no_review_form(logged_in, procedure, nurse, surgeon):
    case = make_case(procedure, actor=nurse, surgeon=surgeon)
    workflow.cancel(actor=nurse, case_id=case.pk, reason="Consent withdrawn")
    page = page_of(logged_in, case)
    assert "Consent withdrawn" in page
    assert "Only a signed-out case can be marked reviewed." in page
    assert "review-mark-form" not in page


def test_the_record_prints_as_a_clean_paper_record(logged_in, procedure, nurse, surgeon):
    page = page_of(logged_in, signed_out(procedure, nurse=nurse, surgeon=surgeon))
    assert "css/review.css" in page
    assert 'class="review-mark-form no-print"' in page
    stylesheet = (Path(settings.BASE_DIR) / "static/css/review.css").read_text()
    printed = stylesheet[stylesheet.index("@media print") :]
    assert "header.navbar" in printed and "display: none" in printed
    assert ".record-phase {\n    break-before: page;" in printed


def test_the_record_has_no_inline_script(logged_in, procedure, nurse, surgeon):
    page = page_of(logged_in, signed_out(procedure, nurse=nurse, surgeon=surgeon))
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
    assert " onclick=" not in page


# --- marking reviewed ------------------------------------------------------------------------


def mark(client, case, comment="Complete."):
    return client.post(reverse("review:mark-reviewed", args=[case.pk]), {"comment": comment})


def test_mark_reviewed_goes_through_the_workflow_with_the_comment(
    logged_in, reviewer, procedure, nurse, surgeon
):
    case = signed_out(procedure, nurse=nurse, surgeon=surgeon)

    response = mark(logged_in, case, "Checked against the theatre log.")

    assert response.status_code == 302
    assert response["Location"] == reverse("review:record", args=[case.pk])
    case.refresh_from_db()
    assert (case.status, case.reviewed_by) == (CaseStatus.REVIEWED, reviewer)
    assert case.review_comment == "Checked against the theatre log."
    event = events(case)[-1]
    assert (event.action, event.actor) == (AuditAction.REVIEWED, reviewer)
    assert event.after == {"comment": "Checked against the theatre log."}
    assert event.remote_addr == "127.0.0.1"
    words = text(page_of(logged_in, case))
    assert "Reviewed by Rae Reviewer" in words
    assert "Comment Checked against the theatre log." in words


def test_marking_a_reviewed_case_again_changes_nothing(logged_in, procedure, nurse, surgeon):
    case = signed_out(procedure, nurse=nurse, surgeon=surgeon)
    mark(logged_in, case)
    count = len(events(case))

    assert mark(logged_in, case, "Again").status_code == 302
    case.refresh_from_db()
    assert case.review_comment == "Complete."
    assert len(events(case)) == count


def test_an_open_case_cannot_be_marked_reviewed_and_says_why(logged_in, procedure, nurse, surgeon):
    case = make_case(procedure, actor=nurse, surgeon=surgeon)
    record(case, "Identity confirmed", nurse)

    response = mark(logged_in, case)

    assert response.status_code == 422
    assert "Only a signed-out case can be reviewed." in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS


def test_a_comment_too_long_is_refused_by_the_form(logged_in, procedure, nurse, surgeon):
    case = signed_out(procedure, nurse=nurse, surgeon=surgeon)
    response = mark(logged_in, case, "x" * 2001)
    assert response.status_code == 400
    assert "too long" in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.COMPLETED


def test_marking_a_missing_case_is_a_404(logged_in, db):
    assert logged_in.post(reverse("review:mark-reviewed", args=[999])).status_code == 404


def test_marking_reviewed_is_a_post_only(logged_in, procedure, nurse, surgeon):
    case = signed_out(procedure, nurse=nurse, surgeon=surgeon)
    assert logged_in.get(reverse("review:mark-reviewed", args=[case.pk])).status_code == 405


def test_the_record_shows_a_stop_and_the_surgeons_override(
    logged_in, nurse, surgeon, django_assert_max_num_queries
):
    procedure = Procedure.objects.get(slug="si-fusion-open")
    case = make_case(procedure, actor=nurse, surgeon=surgeon)
    counts = case.steps.get(title="Instrument, sponge and needle counts correct")
    record_steps(case, nurse, case.steps.filter(position__lt=counts.position))
    record(case, counts.title, nurse, value="no")
    record_steps(case, nurse, case.steps.filter(position__gt=counts.position))  # its own phase
    page = page_of(logged_in, case)  # open: the Stop shows as it stands
    assert f"{counts.title} Stop no" in text(page)
    assert "Answered No — expected Yes." in text(page)
    assert "Required steps complete No" in text(page)

    reason = "Needle found under the drape; recounted with the scrub lead"
    workflow.override_stop(
        actor=surgeon, case_id=case.pk, step_id=counts.pk, revision=1, reason=reason
    )
    logged_in.get(reverse("review:case-list"))
    with django_assert_max_num_queries(RECORD_QUERIES):
        words = text(page_of(logged_in, case))

    at = timezone.localtime(case.steps.get(pk=counts.pk).stop_overridden_at).strftime("%H:%M")
    assert f"{counts.title} Stop overridden no" in words
    assert f"Answered No — expected Yes. Stop overridden by Sue Surgeon , {at}: {reason}" in words
    overridden = f"Stop overridden: Done: no, expected yes. Reason: {reason}"
    assert f"Stop overridden by surgeon {counts.title} {overridden}" in words
    assert "Required steps complete Yes" in words
    [event] = events(case, action=AuditAction.STOP_OVERRIDDEN)
    assert event.actor == surgeon


def record_steps(case, nurse, steps) -> None:
    """These steps of ``case`` in position order, with plausible answers (and the Time Outs the
    procedure steps wait for, read aloud)."""
    from tests.conftest import time_outs_before
    from tests.review.conftest import _value

    for step in steps.order_by("position"):
        time_outs_before(case, step, nurse)
        if step.kind == "implants":
            record(case, step.title, nurse, side=step.side, status="na", na_reason="Converted")
        else:
            record(case, step.title, nurse, side=step.side, value=_value(step))


# --- queries ---------------------------------------------------------------------------------

# Session, user, permissions (one query: accounts.backends), roles for the header; the case,
# its steps, implants, signatures, Stops called, side disagreements, debrief actions, Time
# Outs, events (the audit verdict reads these rows); the access log entry, and "who viewed
# this case" (one query, however long the log).
RECORD_QUERIES = 15


def test_the_record_costs_the_same_queries_for_a_small_or_a_large_case(
    logged_in, procedure, nurse, surgeon, bilateral, django_assert_max_num_queries
):
    small = signed_out(procedure, nurse=nurse, surgeon=surgeon)
    amend_incision(small, surgeon)
    logged_in.get(reverse("review:case-list"))  # the session's first request writes: not counted
    with django_assert_max_num_queries(RECORD_QUERIES):
        page_of(logged_in, small)
    assert (bilateral.steps.count(), bilateral.implants.count()) == (40, 4)
    with django_assert_max_num_queries(RECORD_QUERIES):
        page_of(logged_in, bilateral)


def test_the_record_shows_each_time_out_with_its_team_attestations_and_staleness(
    logged_in, procedure, nurse, surgeon, other_surgeon, anaesthetist
):
    from checklists import workflow
    from procedures.models import Procedure
    from tests.conftest import make_case, perform_time_out, record_phase

    case = make_case(
        Procedure.objects.get(slug="si-fusion-minimally-invasive"), actor=nurse, surgeon=surgeon
    )
    record_phase(case, "sign_in", nurse)
    record_phase(case, "induction", anaesthetist)
    perform_time_out(case, nurse, interruptions=2, everyone_present=False)
    workflow.change_surgeon(
        actor=nurse, case_id=case.pk, surgeon=other_surgeon, reason="Called to an emergency"
    )

    page = page_of(logged_in, case)

    assert "Time Outs read aloud" in page
    assert "anaesthetist Ana Sthetist; circulating nurse Nora Nurse" in page
    assert "Yes, 2" in page
    assert "the surgeon changed: Called to an emergency" in page
    assert "Audit chain verified" in page


def test_generated_cases_show_a_verified_record(logged_in, db):
    bulk.generate(count=5, seed=21)
    for case in Case.objects.all():
        assert "Audit chain verified" in page_of(logged_in, case)


def test_the_record_shows_an_implant_explanted_with_its_day_and_why(logged_in, bilateral, surgeon):
    from django.utils import timezone

    from checklists import workflow

    right = bilateral.implants.filter(side="right").first()
    workflow.explant_implant(
        actor=surgeon,
        case_id=bilateral.pk,
        implant_id=right.pk,
        explanted_on=timezone.localdate(),
        reason="Loosening",
    )
    words = text(page_of(logged_in, bilateral))
    assert f"Explanted on {timezone.localdate():%-d %b %Y}: Loosening" in words
    assert "Implant explanted" in words  # the audit trail's event
    assert f"serial {right.serial}. Explanted on {timezone.localdate().isoformat()}" in words


def test_the_record_shows_a_move_by_the_theatre_list(logged_in, nurse, surgeon):
    start = datetime.datetime(2026, 12, 1, 8, 0, tzinfo=datetime.UTC)
    procedure = Procedure.objects.get(slug="si-fusion-minimally-invasive")
    case = make_case(procedure, actor=nurse, surgeon=surgeon, scheduled_start=start)
    Room.objects.create(name="OR 4")
    later = start + datetime.timedelta(hours=1)
    workflow.reschedule_case(actor=nurse, case_id=case.pk, room="OR 4", scheduled_start=later)
    work_through(case, nurse=nurse, surgeon=surgeon, na={"Specimens labelled": "No specimen"})

    words = text(page_of(logged_in, case))

    assert "Case moved (time or room) by the theatre list" in words
    assert "OR 3, 2026-12-01T08:00:00+00:00 → OR 4, 2026-12-01T09:00:00+00:00" in words
