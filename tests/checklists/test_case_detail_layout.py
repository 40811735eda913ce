"""The checklist page fitted to a tablet: the phase stepper, phases folded when complete, compact
recorded rows, the footer with the next open step and the case's main action, each side's
implants inside its implant step, and words that keep apart the WHO Sign Out, the surgeon's
signature and logging out. What a browser does with them is in tests/browser."""

import re

from checklists import workflow
from checklists.models import Case
from tests.checklists.checklist_html import (
    ALLERGY,
    CONSENT,
    IDENTITY,
    IMPLANTS,
    TIME_OUT_STOP,
    content,
    out_of_band_ids,
    row,
    step_of,
    text,
)
from tests.checklists.test_step_update import HTMX, post
from tests.conftest import PASSWORD, make_case, make_procedure, record

SIGN_IN = [
    IDENTITY,
    "Procedure and side confirmed against consent",
    CONSENT,
    "Operative site marked",
    "Implants, imaging and special equipment available and matched to the patient",
    "Anaesthesia machine and medication check complete",
    "Pulse oximeter on and working",
    ALLERGY,
    "Difficult airway or aspiration risk",
    "Risk of blood loss over 500 ml",
]
# The sides seen: the case's side (each case here is bilateral).
ANSWERS = {
    "Procedure and side confirmed against consent": "both",
    CONSENT: "yes",
    "Operative site marked": "both",
    ALLERGY: "no",
}
STEPS = {"consent": CONSENT}


def page(client, case) -> str:
    response = client.get(f"/cases/{case.pk}/")
    assert response.status_code == 200
    return content(response)


def record_sign_in(case, actor, **differently: str) -> None:
    """Every Sign In step, with the usual answers, or those of ``differently`` (by step)."""
    answers = {**ANSWERS, **{STEPS[name]: value for name, value in differently.items()}}
    for title in SIGN_IN:
        answer = answers.get(title) or ("no" if "risk" in title.lower() else "")
        record(case, title, actor, **({"value": answer} if answer else {}))


def element(html: str, element_id: str) -> str:
    found = re.search(rf'<(\w+) id="{element_id}".*?</\1>', html, re.DOTALL)
    assert found, f"no #{element_id}"
    return found.group(0)


def heard(fragment: str) -> str:
    """What a screen reader says of ``fragment``: its text without what is aria-hidden."""
    return text(re.sub(r'<span aria-hidden="true">.*?</span>', "", fragment))


def phase_section(html: str, phase: str) -> str:
    start = html.index(f'<section id="phase-{phase}"')
    return html[start : html.index("</section>\n  ", start)]


def test_the_stepper_shows_each_phase_with_its_progress_and_leads_to_it(client, nurse, case):
    record_sign_in(case, nurse)
    record(case, "Team members introduced by name and role", nurse)
    client.force_login(nurse)

    stepper = element(page(client, case), "phase-stepper")

    links = re.findall(r'<a class="stepper-phase[^"]*" href="#phase-(\w+)".*?</a>', stepper)
    assert links == ["sign_in", "induction", "time_out", "procedure", "sign_out"]
    names = [heard(link) for link in re.findall(r"<a .*?</a>", stepper)]
    assert names == [
        "Sign In complete",
        "Induction and positioning 0 of 2 recorded",
        "Time Out 1 of 7 recorded",
        "Procedure 0 of 16 recorded",
        "Sign Out 0 of 5 recorded",
    ]
    current = re.findall(r'href="#phase-(\w+)" data-phase-link aria-current="step"', stepper)
    assert current == ["induction"]  # where the next open step is


def test_a_complete_phase_is_folded_and_the_others_open(client, nurse, case):
    record_sign_in(case, nurse)
    client.force_login(nurse)
    html = page(client, case)

    assert '<details class="phase-steps">' in phase_section(html, "sign_in")
    assert '<details class="phase-steps" open>' in phase_section(html, "time_out")
    fold = re.search(
        r'<summary class="[^"]*phase-fold".*?</summary>', phase_section(html, "sign_in")
    )
    assert "Show the steps" in text(fold.group(0))
    assert text(fold.group(0)).endswith("of Sign In")
    assert "Complete: 10 of 10 recorded" in text(phase_section(html, "sign_in"))


def test_each_phase_says_when_it_is_performed(client, nurse, case):
    client.force_login(nurse)
    html = page(client, case)

    assert "Sign Out Before the patient leaves the room" in text(phase_section(html, "sign_out"))
    assert "Time Out Before skin incision" in text(phase_section(html, "time_out"))


def test_rows_recorded_before_the_page_are_compact_a_row_just_answered_is_not(client, nurse, case):
    record(case, IDENTITY, nurse)
    client.force_login(nurse)

    assert "step-compact" in row(page(client, case), step_of(case, IDENTITY))
    assert "step-compact" not in row(page(client, case), step_of(case, CONSENT))
    answer = content(post(client, case, step_of(case, CONSENT), value="yes"))
    # Drawn at its full size: nothing moves up under the finger that tapped its button.
    assert "step-compact" not in row(answer, step_of(case, CONSENT))
    assert "step-compact" in row(page(client, case), step_of(case, CONSENT))


def test_the_footer_leads_to_the_first_open_step(client, nurse, case):
    record(case, IDENTITY, nurse)
    client.force_login(nurse)

    footer = element(page(client, case), "checklist-footer")

    consent_row = step_of(case, "Procedure and side confirmed against consent")
    assert f'href="#step-{consent_row.pk}" data-next-step' in footer
    assert text(footer).startswith(
        "Next open step Procedure and side confirmed against consent 1 of 40 recorded"
    )


def test_every_answer_brings_the_footer_and_the_stepper_up_to_date(client, nurse, case):
    client.force_login(nurse)
    page(client, case)

    answer = content(post(client, case, step_of(case, IDENTITY)))

    assert {"checklist-footer", "phase-stepper"} <= set(out_of_band_ids(answer))
    following = step_of(case, "Procedure and side confirmed against consent")
    assert f'href="#step-{following.pk}" data-next-step' in element(answer, "checklist-footer")
    assert "Sign In 1/10" in text(element(answer, "phase-stepper"))


def test_a_stop_shows_in_the_stepper_and_the_footer_leads_to_it_once_it_holds_all_back(
    client, nurse, case
):
    record_sign_in(case, nurse, consent="no")
    client.force_login(nurse)
    html = page(client, case)

    sign_in = re.search(r'<a class="stepper-phase[^"]*" href="#phase-sign_in".*?</a>', html)
    assert heard(sign_in.group(0)) == "Sign In 9 of 10 recorded 1 Stop"
    assert "is-stopped" in sign_in.group(0)
    footer = element(html, "checklist-footer")
    consent = step_of(case, CONSENT)
    assert f'href="#step-{consent.pk}" data-next-step' in footer
    assert text(footer).startswith("■ Stop to resolve Consent form signed")
    assert '<details class="phase-steps" open>' in phase_section(html, "sign_in")


def test_the_surgeon_signs_the_case_from_the_footer(client, surgeon, case):
    client.force_login(surgeon)

    footer = element(page(client, case), "checklist-footer")

    assert f'href="/cases/{case.pk}/sign-out/">Sign the case</a>' in footer
    assert "Hand to the surgeon" not in footer


def test_the_nurse_hands_the_tablet_to_the_surgeon_once_every_step_is_recorded(
    client, nurse, surgeon
):
    small = make_case(
        make_procedure({"title": "Count correct"}, {"title": "Swab count"}),
        actor=nurse,
        surgeon=surgeon,
    )
    record(small, "Count correct", nurse)
    client.force_login(nurse)
    assert "Hand to the surgeon" not in page(client, small)

    record(small, "Swab count", nurse)
    footer = element(page(client, small), "checklist-footer")

    # To the signature, which the surgeon gives on this tablet without taking it over.
    assert f'href="/cases/{small.pk}/sign-out/">Hand to the surgeon to sign</a>' in footer
    assert "Every step is recorded." in text(footer)
    assert "Sign the case" not in footer


def test_readers_and_signed_cases_have_no_footer(client, reviewer, nurse, surgeon, case):
    client.force_login(reviewer)
    assert '<div id="checklist-footer" class="checklist-footer" hidden>' in page(client, case)

    small = make_case(make_procedure({"title": "Count correct"}), actor=nurse, surgeon=surgeon)
    record(small, "Count correct", nurse)
    workflow.sign_out(actor=surgeon, case_id=small.pk, password=PASSWORD)
    client.force_login(nurse)
    html = page(client, small)
    assert '<div id="checklist-footer" class="checklist-footer" hidden>' in html
    assert "Signed by the surgeon and locked." in text(html)


def test_the_words_keep_the_who_sign_out_the_signature_and_logging_out_apart(client, surgeon, case):
    client.force_login(surgeon)
    html = text(page(client, case))
    signing = text(content(client.get(f"/cases/{case.pk}/sign-out/")))

    assert "Sign-out" not in html
    assert "Sign Out Before the patient leaves the room" in html
    assert "Sign the case" in html
    assert "Log out" in html
    assert signing.count("Sign the case") >= 2  # the page's title and heading, its button aside
    assert "not the WHO Sign Out, not logging out" in signing


def test_each_implant_row_holds_its_sides_log_and_form(client, nurse, case):
    workflow.add_implant(
        actor=nurse, case_id=case.pk, entry=workflow.ImplantEntry(side="right", product="iFuse")
    )
    client.force_login(nurse)
    html = page(client, case)

    left, right = (row(html, step_of(case, IMPLANTS, side)) for side in ("left", "right"))
    assert "Left side: 0 implants" in text(left)
    assert "Right side: 1 implant" in text(right)
    assert "iFuse" in text(right) and "iFuse" not in text(left)
    assert 'id="implant-right-udi"' in right  # ids per side: both forms on one page
    assert "Log an implant…" in text(right)  # locked, so behind its disclosure


def test_a_hard_stop_answer_redraws_the_implant_rows_with_their_implants(client, nurse, case):
    record_sign_in(case, nurse)
    record(case, "Team members introduced by name and role", nurse)
    client.force_login(nurse)
    page(client, case)

    answer = content(post(client, case, step_of(case, TIME_OUT_STOP)))

    implants = row(answer, step_of(case, IMPLANTS, "left"))
    assert 'id="implant-list-left"' in implants
    assert "hx-swap-oob" not in implants.split(">", 1)[1]  # only the row itself is out of band


def test_a_refused_removal_shows_in_the_list_of_that_implants_side(client, nurse, case):
    implant = workflow.add_implant(
        actor=nurse, case_id=case.pk, entry=workflow.ImplantEntry(side="right", product="iFuse")
    )
    client.force_login(nurse)
    since = Case.objects.get(pk=case.pk).audit_seq

    response = client.post(
        f"/cases/{case.pk}/implants/{implant.pk}/remove/", {"since": since}, headers=HTMX
    )

    assert response.status_code == 422
    answer = content(response)
    reason = "Give a reason for removing the implant from the log."
    assert reason in text(element(answer, "implant-list-right"))
    assert reason not in text(element(answer, "implant-list-left"))
