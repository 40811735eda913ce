import re
from collections import Counter

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import people
from checklists import selectors, workflow
from tests.checklists.checklist_html import (
    ALLERGY,
    CONSENT,
    IDENTITY,
    IMPLANTS,
    INCISION,
    PERFORMED,
    TEAM,
    TIME_OUT_STOP,
    buttons,
    change_panel,
    content,
    ids,
    outside_change,
    row,
    step_of,
    summaries,
    text,
)
from tests.conftest import PASSWORD, make_case, make_procedure, record

# ... and 2 since every page load is logged (checklists.access) and the header asks whether
# an emergency access is running (review.context_processors); and 1 for the Stops the team
# called that stand (checklist_context); and 2 for the debrief: its actions with the briefing of
# earlier cases' open actions (checklists.debrief), and the people an action may be given to;
# and 1 for the side disagreements that stand (checklists.workflow.sides); and 1
# for the case's Time Outs, with their teams (checklists.read_aloud.time_out_panel).
PAGE_QUERIES = 14
SITE_MARKED = "Operative site marked"


def url(case) -> str:
    return f"/cases/{case.pk}/"


def page(client, case) -> str:
    response = client.get(url(case))
    assert response.status_code == 200
    return content(response)


def test_it_shows_the_patient_identity_for_the_time_out_check(client, nurse, case):
    client.force_login(nurse)
    header = re.search(r'<header class="case-header".*?</header>', page(client, case), re.DOTALL)

    words = text(header.group(0))
    assert "Pat Example" in words
    assert "Date of birth 14 Mar 1961" in words
    assert "MRN MRN0042" in words
    assert "SI joint fusion — minimally invasive (lateral transiliac)" in words
    assert "Side Bilateral" in words
    assert "Status: Scheduled" in words
    assert "0 of 40 steps recorded" in words


def test_the_patient_identity_is_in_no_link_or_form_address(client, nurse, case):
    client.force_login(nurse)
    html = page(client, case)

    addresses = re.findall(r'(?:href|action|hx-post|hx-get)="([^"]*)"', html)
    assert addresses
    assert not [address for address in addresses if "MRN0042" in address or "Pat" in address]
    assert "Pat Example" not in re.search(r"<title>.*?</title>", html, re.DOTALL).group(0)


def test_it_shows_one_section_per_phase_with_its_progress(client, nurse, case):
    record(case, IDENTITY, nurse)
    client.force_login(nurse)
    html = page(client, case)

    headings = re.findall(r'<h2 class="phase-title" id="phase-[a-z_]+-title">([^<]+)</h2>', html)
    assert headings == [
        "Sign In",
        "Induction and positioning",
        "Time Out",
        "Procedure",
        "Sign Out",
    ]
    assert text(re.search(r'<p id="phase-progress-sign_in".*?</p>', html).group(0)) == (
        "1 of 10 recorded"
    )
    assert "1 of 40 steps recorded" in text(html)


def test_rows_after_an_unrecorded_hard_stop_are_locked_and_name_it(client, nurse, case):
    client.force_login(nurse)
    html = page(client, case)

    locked = row(html, step_of(case, CONSENT))
    assert f"Waiting for: {IDENTITY}" in text(locked)
    assert "Locked" in text(locked)
    assert '<fieldset class="step-answer" disabled>' in locked
    assert "Not applicable" not in text(locked)
    open_row = row(html, step_of(case, IDENTITY))
    assert "step-locked" not in open_row
    assert "disabled" not in open_row


def test_a_recorded_hard_stop_unlocks_its_rows_and_later_ones_wait_for_the_next(
    client, nurse, case
):
    record(case, IDENTITY, nurse)
    client.force_login(nurse)
    html = page(client, case)

    assert "disabled" not in row(html, step_of(case, CONSENT))
    procedure_row = row(html, step_of(case, INCISION, "left"))
    assert f"Waiting for the whole Time Out: {TEAM}" in text(procedure_row)


def test_each_control_is_named_by_its_step_title(client, nurse, case):
    client.force_login(nurse)
    html = page(client, case)

    assert buttons(row(html, step_of(case, IDENTITY))) == [f"Mark done: {IDENTITY}"]
    record(case, IDENTITY, nurse)
    html = page(client, case)
    assert buttons(row(html, step_of(case, CONSENT))) == [
        f"Yes: {CONSENT}",
        f"No: {CONSENT}",
        f"Mark not applicable: {CONSENT}",
    ]
    incision = step_of(case, INCISION, "left")
    assert f"Save: {incision.label}" in buttons(row(html, incision))
    assert f"Save: {PERFORMED}" in buttons(row(html, step_of(case, PERFORMED)))


def test_every_form_names_its_target_state_and_revision(client, nurse, case):
    client.force_login(nurse)
    html = page(client, case)

    forms = re.findall(r"<form [^>]*hx-post=\"/cases/\d+/steps/\d+/\".*?</form>", html, re.DOTALL)
    assert len(forms) >= 40
    for form in forms:
        assert re.search(r'name="status" value="(done|pending|na)"', form)
        assert 'name="revision" value="0"' in form
        assert 'method="post"' in form  # works without JavaScript too
    assert 'value="toggle"' not in html  # no form flips a step whatever its state


def test_controls_follow_the_kind_of_step(client, nurse, case):
    record(case, IDENTITY, nurse)
    record(case, TIME_OUT_STOP, nurse)
    client.force_login(nurse)
    html = page(client, case)

    incision = row(html, step_of(case, INCISION, "left"))
    assert 'type="number"' in incision
    assert 'min="3.00"' in incision
    assert 'max="5.00"' in incision
    assert "Between 3 and 5 cm" in text(incision)
    site = row(html, step_of(case, SITE_MARKED))
    # One tap per side seen (none chosen for the team); "not applicable" once, the control
    # that asks for the reason.
    assert buttons(site) == [
        f"Left: {SITE_MARKED}",
        f"Right: {SITE_MARKED}",
        f"Both: {SITE_MARKED}",
        f"Mark not applicable: {SITE_MARKED}",
    ]
    assert re.findall(r'<summary[^>]*aria-label="([^"]+)"', site) == [
        f"Not applicable…: {SITE_MARKED}"
    ]
    assert 'type="radio"' not in site
    performed = row(html, step_of(case, PERFORMED))
    assert "SI joint fusion — minimally invasive (lateral transiliac)</textarea>" in performed
    allergy = row(html, step_of(case, ALLERGY))
    assert f"Details (needed if yes) for {ALLERGY}" in text(allergy)


def test_per_side_rows_show_their_side(client, nurse, case):
    client.force_login(nurse)
    html = page(client, case)

    assert "Left side" in text(row(html, step_of(case, INCISION, "left")))
    assert "Right side" in text(row(html, step_of(case, INCISION, "right")))
    assert "side" not in text(row(html, step_of(case, CONSENT))).lower().split()


def test_a_hard_stop_offers_no_not_applicable(client, nurse, case):
    client.force_login(nurse)
    html = page(client, case)

    assert "Not applicable" not in text(row(html, step_of(case, IDENTITY)))


def test_recorded_rows_show_the_answer_who_and_when_and_only_change(client, nurse, scrub, case):
    record(case, IDENTITY, nurse)
    record(case, ALLERGY, scrub, value="yes", note="Penicillin: rash")
    record(case, "Pulse oximeter on and working", nurse, status="na", na_reason="Awake case")
    client.force_login(nurse)
    html = page(client, case)

    allergy = text(row(html, step_of(case, ALLERGY)))
    assert "Done" in allergy
    assert "Answer: Yes" in allergy
    assert "Recorded by Sam Scrub for the anaesthetist at" in allergy
    assert "Note: Penicillin: rash" in allergy
    allergy_row = row(html, step_of(case, ALLERGY))
    assert buttons(outside_change(allergy_row)) == []  # nothing to tap where the answer was
    assert summaries(allergy_row) == [f"Change…: {ALLERGY}", f"Not applicable…: {ALLERGY}"]
    assert buttons(change_panel(allergy_row)) == [
        f"Yes: {ALLERGY}",
        f"No: {ALLERGY}",
        f"Mark not applicable: {ALLERGY}",
        f"Back to pending: {ALLERGY}",
    ]
    oximeter = text(row(html, step_of(case, "Pulse oximeter on and working")))
    assert "Not applicable: Awake case" in oximeter
    assert "Recorded by Nora Nurse" in oximeter


def test_an_answer_other_than_the_expected_one_is_a_stop(client, nurse, case):
    record(case, IDENTITY, nurse)
    record(case, CONSENT, nurse, value="no")
    client.force_login(nurse)

    html = page(client, case)

    consent = row(html, step_of(case, CONSENT))
    assert "step-stop" in consent and "Done" not in text(consent)
    assert text(consent).startswith(f"■ Stop {CONSENT}")
    assert "Stop: “Consent form signed” answered No — expected Yes." in text(consent)
    assert "a surgeon overrides the Stop with a reason" in text(consent)
    assert "Override the Stop" not in consent  # the nurse cannot; a surgeon can
    progress = re.search(r'<p id="phase-progress-sign_in".*?</p>', html).group(0)
    assert text(progress) == "1 of 10 recorded · 1 Stop"
    assert "1 of 40 steps recorded · 1 Stop" in text(html)


def test_a_signed_case_shows_no_controls(client, nurse, surgeon):
    small = make_case(make_procedure({"title": "Count correct"}), actor=nurse, surgeon=surgeon)
    record(small, "Count correct", nurse)
    workflow.sign_out(actor=surgeon, case_id=small.pk, password=PASSWORD)
    client.force_login(nurse)
    html = page(client, small)

    assert "<button" not in row(html, small.steps.get())
    assert "Signed by the surgeon and locked" in text(html)
    assert "Sue Surgeon" in text(html)  # the signature block
    assert 'id="live-sync" hidden data-version' in html
    assert "hx-trigger" not in html  # nothing left to poll for


def test_a_cancelled_case_shows_no_controls(client, nurse, surgeon, case):
    workflow.cancel(actor=nurse, case_id=case.pk, reason="Patient unwell")
    client.force_login(nurse)
    html = page(client, case)

    assert "hx-post" not in html
    assert "This case was cancelled" in text(html)
    assert "Patient unwell" in text(html)


def test_a_reviewer_reads_the_checklist_without_controls(client, reviewer, case):
    client.force_login(reviewer)
    html = page(client, case)

    assert IDENTITY in text(html)
    assert "hx-post" not in html
    assert "your role does not record steps" in text(html)


def test_it_needs_a_login(client, case):
    response = client.get(url(case))

    assert response.status_code == 302
    assert "/cases/" not in response["Location"].split("?")[0]


def test_an_unknown_case_is_not_found(client, nurse):
    client.force_login(nurse)

    assert client.get("/cases/999999/").status_code == 404


def test_the_page_is_not_cached_on_a_shared_tablet(client, nurse, case):
    client.force_login(nurse)

    assert "no-store" in client.get(url(case))["Cache-Control"]


def test_ids_are_unique_and_every_label_names_a_field(client, nurse, case):
    record(case, IDENTITY, nurse)
    workflow.add_implant(
        actor=nurse,
        case_id=case.pk,
        entry=workflow.ImplantEntry(side="left", product="iFuse-3D"),
    )
    client.force_login(nurse)
    html = page(client, case)

    duplicates = [name for name, count in Counter(ids(html)).items() if count > 1]
    assert duplicates == []
    labelled = re.findall(r'<label[^>]*\sfor="([^"]+)"', html)
    assert labelled
    assert set(labelled) <= set(ids(html))
    described = re.findall(r'aria-describedby="([^"]+)"', html)
    assert set(described) <= set(ids(html))


def test_each_sides_implant_panel_is_inside_that_sides_implant_step(client, nurse, surgeon, case):
    plain = make_case(make_procedure({"title": "Count correct"}), actor=nurse, surgeon=surgeon)
    client.force_login(nurse)
    html = page(client, case)

    left, right = (
        row(html, step_of(case, IMPLANTS, "left")),
        row(html, step_of(case, IMPLANTS, "right")),
    )
    assert 'id="implants-left"' in left
    assert 'id="implant-form-left"' in left
    assert 'id="implants-right"' not in left
    assert 'id="implants-right"' in right
    assert '<input type="hidden" name="side" value="right"' in right
    assert 'id="implants-' not in page(client, plain)


def page_queries(client, case) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url(case)).status_code == 200
    return len(queries)


def test_the_page_costs_the_same_queries_for_a_small_and_a_large_case(
    client, nurse, surgeon, case, django_assert_max_num_queries
):
    small = make_case(
        make_procedure(
            {"title": "Identity", "hard_stop": True},
            {"title": "Implants", "kind": "implants"},
        ),
        actor=nurse,
        surgeon=surgeon,
    )
    record(small, "Identity", nurse)
    for title in (IDENTITY, CONSENT, "Operative site marked", "Known allergy"):
        answer = {"value": "no"} if title in (CONSENT, ALLERGY) else {}
        answer = {"value": "both"} if title == "Operative site marked" else answer
        record(case, title, nurse, **answer)
    client.force_login(nurse)
    client.get(url(small))  # the session and the permissions warm up alike for both

    with django_assert_max_num_queries(PAGE_QUERIES):
        client.get(url(small))
    with django_assert_max_num_queries(PAGE_QUERIES):
        client.get(url(case))
    assert page_queries(client, small) == page_queries(client, case)
    assert case.steps.count() == 40


def test_the_checklist_reads_its_rows_and_their_people_in_two_queries_without_the_cases_table(
    nurse, case
):
    """The steps and the Time Outs, with who recorded each, sorted in Python rather than by an
    ORDER BY (which costs Django more to compile than the sort), and never joined to the
    case's table (which ordering by the case, not its key, did)."""
    record(case, IDENTITY, nurse)
    record(case, CONSENT, nurse, value="yes")
    with CaptureQueriesContext(connection) as queries:
        checklist = selectors.checklist_for(case)
    assert len(queries) == 2  # the steps, the Time Outs (the case is open)
    assert not any('"checklists_case"' in query["sql"] for query in queries)
    assert not any("ORDER BY" in query["sql"] for query in queries)
    steps = [row.step for row in checklist.rows]
    assert [step.position for step in steps] == sorted(step.position for step in steps)
    assert steps == list(case.steps.order_by("position"))
    recorded = next(step for step in steps if step.title == IDENTITY)
    with CaptureQueriesContext(connection) as more:
        assert people.display_name(recorded.recorded_by) == "Nora Nurse"
    assert len(more) == 0


def test_the_walls_checklist_reads_the_same_rows_without_joining_the_people(nurse, case):
    """The wall display names nobody who recorded a step or stood at a Time Out: its checklist
    reads the same rows and locks without those joins (``people=False``)."""
    record(case, IDENTITY, nurse)
    record(case, CONSENT, nurse, value="yes")
    named = selectors.checklist_for(case)
    with CaptureQueriesContext(connection) as queries:
        unnamed = selectors.checklist_for(case, people=False)
    assert len(queries) == 2  # the steps, the Time Outs
    assert not any('"auth_user"' in query["sql"] for query in queries)
    assert [(row.step, row.locked) for row in unnamed.rows] == [
        (row.step, row.locked) for row in named.rows
    ]
    assert (unnamed.next_row.step, unnamed.recorded) == (named.next_row.step, named.recorded)
