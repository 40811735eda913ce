"""Sides must agree (issue 14): the side seen on the consent, the skin mark and the images, and
each implant's side, against the case's side. A disagreement holds the whole case until the
surgeon resolves it with a reason; all of it in the audit trail, replayed by verify_audit."""

import datetime
import json
import shutil
import subprocess

import pytest
from django.test import Client

from checklists import workflow
from checklists.audit import verify_audit
from checklists.choices import AuditAction
from checklists.errors import NotFound, NotPermitted, RuleViolation, SidesDisagree
from checklists.models import Implant, SideDisagreement
from procedures.choices import Phase
from tests.checklists.checklist_html import mi_procedure
from tests.conftest import events, make_case, record, record_phase, tamper

CONSENT = "Procedure and side confirmed against consent"
SITE_MARK = "Operative site marked"
IMAGING = "Essential imaging displayed; fluoroscope positioned"
IDENTITY = "Patient identity confirmed (name, date of birth, MRN)"
TIME_OUT_ALOUD = "Patient, procedure, side and position confirmed aloud"
ALLERGY = "Known allergy"
IMPLANT = workflow.ImplantEntry(product="SI-LOCK 7.0 x 45", lot="L1", serial="S1")


@pytest.fixture
def case(nurse, surgeon):
    """A left minimally invasive case, its identity confirmed."""
    case = make_case(mi_procedure(), actor=nurse, surgeon=surgeon, laterality="left")
    record(case, IDENTITY, nurse)
    return case


def at_imaging(case, nurse, anaesthetist, surgeon) -> None:
    """Everything before the Time Out's imaging recorded, the sides agreeing."""
    record_phase(case, Phase.SIGN_IN, nurse)
    record_phase(case, Phase.INDUCTION, anaesthetist)
    for step in case.steps.filter(phase=Phase.TIME_OUT).exclude(title=IMAGING):
        record(case, step.title, surgeon, value=step.options[0] if step.options else "")


def disagree(case, nurse, *, title=CONSENT, side="right"):
    return record(case, title, nurse, value=side)


def test_the_seeded_procedures_ask_for_the_side_seen_where_the_side_is_confirmed(case):
    sides = case.steps.filter(kind="side").order_by("position")
    assert [step.title for step in sides] == [CONSENT, SITE_MARK, IMAGING]
    assert all(step.answers() == ("left", "right", "both") for step in sides)
    assert case.procedure_version.number == 2
    assert "Sides must agree" in case.procedure_version.change_note


def test_a_side_seen_that_is_the_cases_side_holds_nothing(case, nurse):
    step = record(case, CONSENT, nurse, value="left")

    assert (step.status, step.value) == ("done", "left")
    assert not SideDisagreement.objects.exists()
    assert not events(case, action=AuditAction.SIDE_DISAGREEMENT_RAISED)
    assert record(case, ALLERGY, nurse, value="no").status == "done"


def test_a_side_step_is_never_answered_for_the_person(case, nurse):
    with pytest.raises(RuleViolation, match="needs an answer"):
        record(case, CONSENT, nurse)
    with pytest.raises(RuleViolation, match="answer one of left, right, both"):
        record(case, CONSENT, nurse, value="bilateral")


@pytest.mark.parametrize("title", [CONSENT, SITE_MARK, IMAGING])
def test_a_side_seen_that_differs_anywhere_raises_a_disagreement(
    case, nurse, anaesthetist, surgeon, title
):
    if title == IMAGING:
        at_imaging(case, nurse, anaesthetist, surgeon)

    step = disagree(case, nurse, title=title)

    assert (step.status, step.value) == ("done", "right")  # kept as seen
    disagreement = SideDisagreement.objects.get()
    assert disagreement.is_open
    assert (disagreement.step, disagreement.side_seen, disagreement.case_side) == (
        step,
        "right",
        "left",
    )
    assert disagreement.summary == f"{title}: right seen, the case is left"
    answered, raised = events(case)[-2:]
    assert (answered.action, raised.action) == (
        AuditAction.STEP_RECORDED,
        AuditAction.SIDE_DISAGREEMENT_RAISED,
    )
    assert (raised.actor, raised.step_id, raised.before) == (nurse, step.pk, None)
    assert raised.after == {
        "disagreement": disagreement.pk,
        "place": title,
        "side_seen": "right",
        "case_side": "left",
        "implant": None,
    }
    assert verify_audit().ok


def test_a_bilateral_case_expects_both(nurse, surgeon):
    case = make_case(mi_procedure(), actor=nurse, surgeon=surgeon, laterality="bilateral")
    record(case, IDENTITY, nurse)

    record(case, CONSENT, nurse, value="both")
    assert not SideDisagreement.objects.exists()
    record(case, SITE_MARK, nurse, value="left")  # one side's mark only
    assert SideDisagreement.objects.get().summary == (
        f"{SITE_MARK}: left seen, the case is bilateral"
    )


def test_an_implant_on_a_side_the_case_does_not_have_raises_a_disagreement(
    case, nurse, anaesthetist, surgeon
):
    at_imaging(case, nurse, anaesthetist, surgeon)
    record(case, IMAGING, nurse, value="left")

    implant = workflow.add_implant(
        actor=nurse, case_id=case.pk, entry=workflow.ImplantEntry(side="right", **IMPLANT_FIELDS)
    )

    assert implant.side == "right"  # logged as reported
    disagreement = SideDisagreement.objects.get()
    assert (disagreement.implant, disagreement.step) == (implant, None)
    assert disagreement.summary == "Implant 1 (SI-LOCK 7.0 x 45): right seen, the case is left"
    raised = events(case)[-1]
    assert raised.action == AuditAction.SIDE_DISAGREEMENT_RAISED
    assert raised.after["implant"] == implant.pk
    with pytest.raises(SidesDisagree):
        workflow.add_implant(actor=nurse, case_id=case.pk, entry=IMPLANT)


def test_an_implant_on_the_cases_side_raises_nothing_and_a_side_that_is_none_is_refused(
    case, nurse
):
    workflow.add_implant(actor=nurse, case_id=case.pk, entry=IMPLANT)
    assert not SideDisagreement.objects.exists()
    with pytest.raises(RuleViolation, match="left or right"):
        workflow.add_implant(
            actor=nurse, case_id=case.pk, entry=workflow.ImplantEntry(side="both", **IMPLANT_FIELDS)
        )


IMPLANT_FIELDS = {"product": "SI-LOCK 7.0 x 45", "lot": "L2", "serial": "S2"}


def test_while_it_stands_every_change_is_refused_but_a_stop_and_cancelling(case, nurse, surgeon):
    implant = workflow.add_implant(actor=nurse, case_id=case.pk, entry=IMPLANT)
    consent = disagree(case, nurse)
    seq = case.__class__.objects.get(pk=case.pk).audit_seq

    with pytest.raises(SidesDisagree, match=r"The sides disagree: .*right seen, the case is left"):
        record(case, ALLERGY, nurse, value="no")
    assert SidesDisagree.status_code == 409
    with pytest.raises(SidesDisagree):  # not even its own answer put back
        record(case, CONSENT, nurse, status="pending", reason="Tapped the wrong side")
    with pytest.raises(SidesDisagree):
        record(case, CONSENT, nurse, value="left")
    with pytest.raises(SidesDisagree):
        workflow.add_implant(actor=nurse, case_id=case.pk, entry=IMPLANT)
    with pytest.raises(SidesDisagree):
        workflow.confirm_read_back(actor=nurse, case_id=case.pk, implant_id=implant.pk)
    with pytest.raises(SidesDisagree):
        workflow.waste_implant(actor=nurse, case_id=case.pk, implant_id=implant.pk, reason="x")
    with pytest.raises(SidesDisagree):
        workflow.remove_implant(actor=nurse, case_id=case.pk, implant_id=implant.pk, reason="x")
    with pytest.raises(SidesDisagree):
        workflow.sign_out(actor=surgeon, case_id=case.pk, password="irrelevant")
    assert case.__class__.objects.get(pk=case.pk).audit_seq == seq  # nothing written
    consent.refresh_from_db()
    assert consent.value == "right"

    # A Stop can always be called; and a case booked on the wrong side is cancelled.
    workflow.raise_concern(actor=nurse, case_id=case.pk, reason="Which side?")
    workflow.cancel(actor=surgeon, case_id=case.pk, reason="Booked on the wrong side")


def test_a_refusal_names_the_disagreement_raised_first(case, nurse):
    """The workflow lets only one stand (every change is refused meanwhile); should two ever
    stand, the refusal names the one raised first, whatever the order of their rows."""
    disagree(case, nurse)
    earlier = SideDisagreement.objects.get()
    earlier.pk, earlier.place = None, "Operative site marked"  # a row added behind it
    earlier.raised_at -= datetime.timedelta(minutes=1)  # raised a minute before the first
    earlier.save()

    with pytest.raises(SidesDisagree, match=r"disagree: Operative site marked: right seen"):
        record(case, ALLERGY, nurse, value="no")


def test_only_a_surgeon_resolves_it_with_a_reason(case, nurse, scrub, surgeon):
    disagree(case, nurse)
    disagreement = SideDisagreement.objects.get()

    for person in (nurse, scrub):
        with pytest.raises(NotPermitted, match="Only a surgeon"):
            workflow.resolve_side_disagreement(
                actor=person, case_id=case.pk, disagreement_id=disagreement.pk, resolution="ok"
            )
    with pytest.raises(RuleViolation, match="Say why the case may go on"):
        workflow.resolve_side_disagreement(
            actor=surgeon, case_id=case.pk, disagreement_id=disagreement.pk, resolution="  "
        )
    with pytest.raises(NotFound):
        workflow.resolve_side_disagreement(
            actor=surgeon, case_id=case.pk, disagreement_id=disagreement.pk + 1, resolution="x"
        )
    assert SideDisagreement.objects.get().is_open

    reason = "Consent and mark say left; tapped right by mistake."
    resolved = workflow.resolve_side_disagreement(
        actor=surgeon, case_id=case.pk, disagreement_id=disagreement.pk, resolution=reason
    )

    assert (resolved.resolved_by, resolved.resolution, resolved.is_open) == (
        surgeon,
        reason,
        False,
    )
    event = events(case)[-1]
    assert (event.action, event.actor, event.after) == (
        AuditAction.SIDE_DISAGREEMENT_RESOLVED,
        surgeon,
        {"disagreement": disagreement.pk, "resolution": reason},
    )
    # The case goes on: the slip is put right, and the sides now agree.
    record(case, CONSENT, nurse, status="pending", reason="Tapped the wrong side")
    assert record(case, CONSENT, nurse, value="left").value == "left"
    assert SideDisagreement.objects.count() == 1
    assert verify_audit().ok


def test_a_double_tap_raises_it_once_and_resolves_it_once(case, nurse, surgeon):
    disagree(case, nurse)
    disagree(case, nurse)  # the same answer again: no change, no refusal
    assert SideDisagreement.objects.count() == 1
    assert len(events(case, action=AuditAction.SIDE_DISAGREEMENT_RAISED)) == 1

    disagreement = SideDisagreement.objects.get()
    for _ in range(2):
        workflow.resolve_side_disagreement(
            actor=surgeon, case_id=case.pk, disagreement_id=disagreement.pk, resolution="Checked"
        )
    assert len(events(case, action=AuditAction.SIDE_DISAGREEMENT_RESOLVED)) == 1


def test_the_same_side_seen_again_after_it_was_resolved_raises_it_again(case, nurse, surgeon):
    disagree(case, nurse)
    first = SideDisagreement.objects.get()
    workflow.resolve_side_disagreement(
        actor=surgeon, case_id=case.pk, disagreement_id=first.pk, resolution="Checking again"
    )
    record(case, CONSENT, nurse, status="pending", reason="Read it again")

    disagree(case, nurse)

    assert SideDisagreement.objects.filter(resolved_at__isnull=True).count() == 1
    with pytest.raises(SidesDisagree):
        record(case, ALLERGY, nurse, value="no")


def test_the_replay_catches_a_disagreement_altered_or_removed_behind_the_workflow(
    case, nurse, surgeon
):
    disagree(case, nurse)
    disagreement = SideDisagreement.objects.get()
    workflow.resolve_side_disagreement(
        actor=surgeon, case_id=case.pk, disagreement_id=disagreement.pk, resolution="Checked"
    )
    assert verify_audit().ok

    tamper(SideDisagreement, "UPDATE {table} SET side_seen = 'left' WHERE id = %s", disagreement.pk)
    verdict = verify_audit()
    assert not verdict.ok
    (difference,) = verdict.differences
    assert difference.where == f"side disagreement {disagreement.pk}"
    assert difference.problem == "the chain says side seen 'right', the row says 'left'"

    tamper(
        SideDisagreement,
        "UPDATE {table} SET side_seen = 'right', resolved_at = NULL, resolved_by_id = NULL, "
        "resolution = '' WHERE id = %s",
        disagreement.pk,
    )
    (difference,) = verify_audit().differences
    assert "resolved" in difference.problem or "resolution" in difference.problem

    tamper(SideDisagreement, "DELETE FROM {table} WHERE id = %s", disagreement.pk)
    (difference,) = verify_audit().differences
    assert difference.problem == "the chain records it, but its row is gone"


def test_an_implant_removed_after_its_disagreement_still_replays(
    case, nurse, surgeon, anaesthetist
):
    implant = workflow.add_implant(
        actor=nurse, case_id=case.pk, entry=workflow.ImplantEntry(side="right", **IMPLANT_FIELDS)
    )
    disagreement = SideDisagreement.objects.get()
    workflow.resolve_side_disagreement(
        actor=surgeon, case_id=case.pk, disagreement_id=disagreement.pk, resolution="Mis-scan"
    )
    workflow.remove_implant(actor=nurse, case_id=case.pk, implant_id=implant.pk, reason="Mis-scan")

    assert not Implant.objects.filter(pk=implant.pk).exists()
    disagreement.refresh_from_db()
    assert disagreement.implant is None
    assert verify_audit().ok


# --- the pages ----------------------------------------------------------------------------------


def test_the_tablet_shows_the_hard_stop_and_the_surgeon_resolves_it_there(
    client: Client, case, nurse, surgeon
):
    disagree(case, nurse)
    client.force_login(nurse)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "SIDES DISAGREE" in page
    assert f"{CONSENT}: right seen, the case is left" in page
    assert "Resolve the side disagreement" not in page  # the nurse's page: no form

    client.force_login(surgeon)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Resolve the side disagreement" in page
    disagreement = SideDisagreement.objects.get()
    url = f"/cases/{case.pk}/sides/{disagreement.pk}/resolved/"
    refused = client.post(url, {"resolution": ""}, follow=True)
    assert "Say why the case may go on" in refused.content.decode()
    response = client.post(url, {"resolution": "Consent re-read: left."})
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/"
    assert not SideDisagreement.objects.get().is_open
    assert "SIDES DISAGREE" not in client.get(f"/cases/{case.pk}/").content.decode()


@pytest.mark.parametrize("who", ["nurse", "scrub", "anaesthetist", "reviewer"])
def test_no_one_but_a_surgeon_may_post_the_resolution(client: Client, case, nurse, who, request):
    disagree(case, nurse)
    disagreement = SideDisagreement.objects.get()
    client.force_login(request.getfixturevalue(who))
    response = client.post(
        f"/cases/{case.pk}/sides/{disagreement.pk}/resolved/", {"resolution": "Fine"}
    )
    assert response.status_code == 403
    assert SideDisagreement.objects.get().is_open


def test_a_refused_step_over_http_says_why(client: Client, case, nurse):
    disagree(case, nurse)
    client.force_login(nurse)
    step = case.steps.get(title=ALLERGY)
    response = client.post(
        f"/cases/{case.pk}/steps/{step.pk}/",
        {"status": "done", "value": "no", "revision": step.revision},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 409
    assert "The sides disagree" in response.content.decode()


def test_the_review_record_shows_the_disagreement_and_its_resolution(
    client: Client, case, nurse, surgeon, reviewer
):
    disagree(case, nurse)
    disagreement = SideDisagreement.objects.get()
    workflow.resolve_side_disagreement(
        actor=surgeon,
        case_id=case.pk,
        disagreement_id=disagreement.pk,
        resolution="Consent re-read: left.",
    )
    client.force_login(reviewer)
    page = client.get(f"/review/{case.pk}/").content.decode()
    assert "Sides that disagreed" in page
    assert f"{CONSENT}: right seen, the case is left" in page
    assert "Consent re-read: left." in page
    assert "Sides disagree: " in page  # the timeline's words


def test_the_pages_that_show_it_are_valid_html(
    client: Client, case, nurse, surgeon, reviewer, administrator, tmp_path
):
    """The Nu Html Checker (see tests/security/test_html_validity.py) on the tablet's page with
    the red banner, the surgeon's with its form, the wall display's, and the review record."""
    from accounts import devices
    from accounts.models import Room
    from tests.security.test_html_validity import VNU_JAR

    java = shutil.which("java")
    assert java, "Java is needed for the Nu Html Checker (Debian: default-jre-headless)"
    disagree(case, nurse)
    documents = []
    for person in (nurse, surgeon):
        client.force_login(person)
        documents.append(client.get(f"/cases/{case.pk}/").content)
    room = Room.objects.get(name=case.room)
    _, code = devices.new_pairing(room=room, name="Wall", by=administrator)
    wall = Client()
    wall.post("/display/", {"code": code})
    documents.append(wall.get(f"/rooms/{room.pk}/display/").content)
    assert all(b"SIDES DISAGREE" in document for document in documents)
    workflow.resolve_side_disagreement(
        actor=surgeon,
        case_id=case.pk,
        disagreement_id=SideDisagreement.objects.get().pk,
        resolution="Consent re-read: left.",
    )
    client.force_login(reviewer)
    documents.append(client.get(f"/review/{case.pk}/").content)
    paths = []
    for number, document in enumerate(documents):
        path = tmp_path / f"{number}.html"
        path.write_bytes(document)
        paths.append(str(path))

    options = ["--errors-only", "--format", "json", "--exit-zero-always"]
    checked = subprocess.run(  # noqa: S603 (our own arguments)
        [java, "-jar", str(VNU_JAR), *options, *paths],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    messages = json.loads(checked.stderr or checked.stdout)["messages"]
    assert [(m.get("url", "")[-7:], m.get("lastLine"), m["message"]) for m in messages] == []
