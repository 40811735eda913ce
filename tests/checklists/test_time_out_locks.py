"""The checklist draws the Time Out record's hold (``TimeOutGate``): a procedure row that waits
for a Time Out read aloud (the case's, or a bilateral case's second side's) is locked, says
why, and offers nothing to tap; "Next open step" leads to the Time Out, never to a step it
holds back, nor past it to the Sign Out."""

import re

import pytest
from django.urls import reverse

from checklists import selectors, workflow
from checklists.models import Case
from procedures.choices import Phase
from tests.checklists.checklist_html import INCISION, content, mi_procedure, row, text
from tests.conftest import (
    make_case,
    perform_time_out,
    place_implant,
    plausible_value,
    record,
    record_phase,
)

# As tests/checklists/test_case_detail.py's PAGE_QUERIES, and the debrief's people (its form is
# drawn once the case is under way), the session saved, and the page's view logged: the Time
# Outs the rows are locked by are read once, with the steps, for the rows and the panel both.
PAGE_QUERIES = 17
WAITS = "waits for the Time Out: start it and read it aloud with the whole team."
UDI = "(01)00812345678901(17)281231(10)LOT{side}{number}(21)SN{side}{number}"


def tick_time_out_items(case: Case, actor) -> None:
    """Every Time Out item ticked on the list, as a tablet may: the Time Out not read aloud."""
    for step in case.steps.filter(phase=Phase.TIME_OUT).order_by("position"):
        record(case, step.title, actor, value=plausible_value(step))


def page_of(client, case: Case) -> str:
    response = client.get(reverse("case-detail", args=[case.pk]))
    assert response.status_code == 200
    return content(response)


def footer(page: str) -> str:
    return re.search(r'<div id="checklist-footer".*?</div>', page, re.DOTALL).group(0)


@pytest.fixture
def case(nurse, surgeon, anaesthetist) -> Case:
    """A left fusion whose Sign In and induction are recorded, the Time Out's items ticked."""
    case = make_case(mi_procedure(), actor=nurse, surgeon=surgeon, laterality="left")
    record_phase(case, Phase.SIGN_IN, nurse)
    record_phase(case, Phase.INDUCTION, anaesthetist)
    tick_time_out_items(case, nurse)
    return case


def test_a_procedure_row_waits_for_the_time_out_read_aloud_and_says_why(
    client, nurse, case, django_assert_max_num_queries
):
    client.force_login(nurse)

    with django_assert_max_num_queries(PAGE_QUERIES):
        page = page_of(client, case)

    incision = row(page, case.steps.get(title=INCISION))
    assert "step-locked" in incision
    assert f"“{INCISION} (Left)” {WAITS}" in text(incision)
    assert 'href="#time-out-panel"' in incision
    assert '<fieldset class="step-answer" disabled>' in incision  # nothing to tap
    assert "Not applicable…" not in incision
    every = case.steps.filter(phase=Phase.PROCEDURE)
    assert all("step-locked" in row(page, step) for step in every)


def test_next_open_step_leads_to_the_time_out_not_to_a_step_it_holds_back(client, nurse, case):
    client.force_login(nurse)

    shown = footer(page_of(client, case))

    assert "Next open step" not in shown
    assert "Time Out next" in text(shown) and 'href="#time-out-panel"' in shown
    checklist = selectors.checklist_for(case)
    assert checklist.next_row is None
    assert checklist.time_out_due.step == case.steps.get(title=INCISION)
    assert checklist.next_phase == Phase.TIME_OUT


def test_once_the_time_out_holds_the_rows_open_and_next_is_the_incision(
    client, nurse, case, django_assert_max_num_queries
):
    perform_time_out(case, nurse)
    client.force_login(nurse)

    with django_assert_max_num_queries(PAGE_QUERIES):
        page = page_of(client, case)

    incision = case.steps.get(title=INCISION)
    assert "step-locked" not in row(page, incision)
    assert f'href="#step-{incision.pk}" data-next-step' in footer(page)
    assert selectors.checklist_for(case).next_row.step == incision


def test_a_stop_after_the_time_out_locks_the_rows_until_it_is_repeated(client, nurse, scrub, case):
    perform_time_out(case, nurse)
    concern = workflow.raise_concern(actor=scrub, case_id=case.pk, reason="Wrong screw size")
    workflow.resolve_concern(
        actor=scrub, case_id=case.pk, concern_id=concern.pk, resolution="7.0 mm fetched"
    )
    client.force_login(nurse)

    incision = row(page_of(client, case), case.steps.get(title=INCISION))

    assert "waits for the Time Out to be repeated" in text(incision)
    assert "(a Stop was called: Wrong screw size, at" in text(incision)
    assert "step-locked" in incision


def test_the_second_sides_rows_wait_for_their_own_time_out(
    client, nurse, surgeon, anaesthetist, device_catalogue, django_assert_max_num_queries
):
    case = make_case(mi_procedure(), actor=nurse, surgeon=surgeon, laterality="bilateral")
    record_phase(case, Phase.SIGN_IN, nurse)
    record_phase(case, Phase.INDUCTION, anaesthetist)
    perform_time_out(case, nurse)
    client.force_login(nurse)
    right = case.steps.get(title=INCISION, side="right")
    assert "step-locked" not in row(page_of(client, case), right)  # no second side yet

    # The left incision, recorded on the tablet: its answer redraws the right side's rows.
    left = case.steps.get(title=INCISION, side="left")
    since = Case.objects.get(pk=case.pk).audit_seq
    response = client.post(
        reverse("step-update", args=[case.pk, left.pk]),
        {"status": "done", "value": "4", "revision": left.revision, "since": since},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    redrawn = row(content(response), right)
    assert 'data-hx-swap-oob="true"' in redrawn
    assert f"“{INCISION} (Right)” waits for the right side Time Out" in text(redrawn)

    # The left side done, "next" is the right side's Time Out, not its first step.
    for step in case.steps.filter(side="left", phase=Phase.PROCEDURE, status="pending"):
        if step.kind == "implants":
            for number in (1, 2):
                udi = UDI.format(side="left", number=number)
                place_implant(case, nurse, workflow.ImplantEntry(side="left", udi=udi))
        record(case, step.title, nurse, side="left", value=plausible_value(step))
    with django_assert_max_num_queries(PAGE_QUERIES):
        shown = footer(page_of(client, case))
    assert "Right side Time Out next" in text(shown)
    checklist = selectors.checklist_for(case)
    assert checklist.time_out_due.step == right
    assert checklist.next_phase == Phase.PROCEDURE

    perform_time_out(case, nurse, side="right")
    assert selectors.checklist_for(case).next_row.step == right


def test_a_closed_case_reads_no_time_outs_and_locks_nothing_by_them(nurse, case):
    workflow.cancel(actor=nurse, case_id=case.pk, reason="Patient unwell")
    case.refresh_from_db()

    checklist = selectors.checklist_for(case)

    assert checklist.gate is None
    assert not any(row.time_out_due for row in checklist.rows)
