"""A patient's identity is normalised at the boundary: two identities that look the same are
the same. Found by a tester: identity fields accepted zero-width characters, right-to-left
overrides and non-ASCII digits, so two MRNs that look the same could differ.

The rules live on the model fields (``Case.patient_mrn``, ``patient_name``, ``room``); the
new-case form shows them as form errors, and ``workflow.create_case`` (the one writer, which an
API will call too) refuses by the same validators and stores the name in NFC.
"""

import pytest
from django.test import override_settings

from checklists.errors import RuleViolation
from checklists.models import Case
from tests.checklists.test_new_case import entry, post, procedure
from tests.conftest import events, make_case, make_procedure, record

__all__ = ["entry", "procedure"]  # fixtures, used by name below

LOOK_ALIKE_MRNS = {
    "arabic-indic digits": "MRN-\u0661\u0662\u0663",
    "cyrillic letters": "\u041cRN-0042",  # a Cyrillic capital EM
    "fullwidth digits": "MRN-\uff10\uff14\uff12",
    "zero-width space": "MRN\u200b0042",
    "space inside": "MRN 0042",
}
HIDDEN_IN_NAMES = {
    "zero-width space": "Pat\u200b Example",
    "right-to-left override": "Pat \u202eelpmaxE",
    "zero-width joiner": "Pat Ex\u200dample",
    "control character": "Pat\x07 Example",
    "nul": "Pat\x00 Example",
}


@pytest.mark.parametrize("mrn", LOOK_ALIKE_MRNS.values(), ids=LOOK_ALIKE_MRNS.keys())
def test_the_form_refuses_an_mrn_outside_the_hospitals_format(client, nurse, entry, mrn):
    client.force_login(nurse)
    response = post(client, entry, patient_mrn=mrn)
    assert response.status_code == 422
    assert "An MRN has only letters A to Z, digits and hyphens." in response.text
    assert not Case.objects.exists()


@pytest.mark.parametrize("name", HIDDEN_IN_NAMES.values(), ids=HIDDEN_IN_NAMES.keys())
def test_the_form_refuses_invisible_or_control_characters_in_a_name(client, nurse, entry, name):
    client.force_login(nurse)
    response = post(client, entry, patient_name=name)
    assert response.status_code == 422
    assert "Retype it." in response.text or "Null characters are not allowed." in response.text
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("patient_mrn", LOOK_ALIKE_MRNS["arabic-indic digits"]),
        ("patient_name", HIDDEN_IN_NAMES["right-to-left override"]),
        ("patient_name", HIDDEN_IN_NAMES["nul"]),
        ("room", "OR\u202e 3"),
    ],
)
def test_the_workflow_refuses_them_too(nurse, surgeon, field, value):
    with pytest.raises(RuleViolation):
        make_case(
            make_procedure({"title": "Check"}), actor=nurse, surgeon=surgeon, **{field: value}
        )
    assert not Case.objects.exists()


def test_a_name_is_stored_in_one_form(nurse, surgeon):
    decomposed = "Zoe\u0301  O\u2019Brien "  # e + combining acute, two spaces, a trailing one
    case = make_case(
        make_procedure({"title": "Check"}), actor=nurse, surgeon=surgeon, patient_name=decomposed
    )
    case.refresh_from_db()
    assert case.patient_name == "Zo\u00e9 O\u2019Brien"


@override_settings(MRN_PATTERN=r"\d{8}", MRN_FORMAT_MESSAGE="An MRN is eight digits.")
def test_the_mrn_format_is_the_hospitals_setting(client, nurse, entry):
    client.force_login(nurse)
    refused = post(client, entry, patient_mrn="MRN-0042")
    assert refused.status_code == 422
    assert "An MRN is eight digits." in refused.text

    assert post(client, entry, patient_mrn="00420042").status_code == 302
    assert Case.objects.get().patient_mrn == "00420042"


@pytest.mark.parametrize("note", ["Checked\x00twice", "\x1b[31mred\x1b[0m", "ok \u202edetacer"])
def test_a_note_no_page_can_show_is_refused_and_nothing_is_recorded(nurse, surgeon, note):
    case = make_case(make_procedure({"title": "Check"}), actor=nurse, surgeon=surgeon)
    with pytest.raises(RuleViolation, match="cannot be stored or shown safely"):
        record(case, "Check", nurse, note=note)
    assert [event.action for event in events(case)] == ["case_created"]


def test_a_note_keeps_its_line_breaks(nurse, surgeon):
    case = make_case(make_procedure({"title": "Check"}), actor=nurse, surgeon=surgeon)
    step = record(case, "Check", nurse, note="First line\nSecond line\tand a tab")
    assert step.note == "First line\nSecond line\tand a tab"


def test_a_refused_note_is_a_clear_answer_not_a_500(client, nurse, surgeon):
    case = make_case(make_procedure({"title": "Check"}), actor=nurse, surgeon=surgeon)
    step = case.steps.get()
    client.force_login(nurse)
    response = client.post(
        f"/cases/{case.pk}/steps/{step.pk}/",
        {"status": "done", "note": "bad\x07bell", "revision": step.revision},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "cannot be stored or shown safely" in response.text
