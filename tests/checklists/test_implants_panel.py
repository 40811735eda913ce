import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.template import Context, Template

from accounts.people import display_name
from catalogue.choices import RecallScope
from catalogue.models import Recall
from checklists import workflow
from checklists.choices import AuditAction
from checklists.forms import ImplantForm
from checklists.models import Case, Implant
from procedures.models import Procedure
from tests.checklists.checklist_html import (
    IMPLANTS,
    buttons,
    content,
    mi_procedure,
    out_of_band_ids,
    text,
)
from tests.conftest import events, make_case, place_implant, record, record_phase

# The scans name a device of the sample catalogue (``device_catalogue``).
pytestmark = pytest.mark.usefixtures("device_catalogue")

HTMX = {"HX-Request": "true"}
UDI = "(01)00812345678901(17)281231(10)LOT123(21)SN456"
NAME = "Exemplar SI Fusion Implant EX-7045"
UNKNOWN = "(01)00987654321005(17)281231(10)LOT9(21)SN9"  # a GTIN the catalogue does not know
NOT_CATALOGUED = "Not in the device catalogue: type the product's name."
BAD_CHECK_DIGIT = "(01)00812345678906(17)281231(10)LOT123(21)SN456"
FEWER_THAN_TWO = "Typically three implants per side; at least two."


def add(client, case, *, htmx: bool = True, **fields):
    """The implant form as the page sends it, the page having been drawn just now."""
    fields.setdefault("since", Case.objects.get(pk=case.pk).audit_seq)
    return client.post(f"/cases/{case.pk}/implants/", fields, headers=HTMX if htmx else {})


def log(case, actor, side="left", **fields):
    """An implant logged and read back: placed."""
    entry = workflow.ImplantEntry(side=side, **{"product": "iFuse-3D", **fields})
    return place_implant(case, actor, entry)


def panel(client, case) -> str:
    """Every side's implant panel on the page (each inside its side's implant step)."""
    page = content(client.get(f"/cases/{case.pk}/"))
    panels = re.findall(r'<section id="implants-.*?</section>', page, re.DOTALL)
    assert panels, "no implant panel on the page"
    return "\n".join(panels)


def side_heading(fragment: str, side: str) -> str:
    return text(re.search(rf"<h4[^>]*>{side} side:.*?</h4>", fragment).group(0))


def test_a_scanned_barcode_logs_the_implant_with_its_parts(client, nurse, case):
    client.force_login(nurse)

    response = add(client, case, udi=UDI, side="left")

    assert response.status_code == 200
    implant = Implant.objects.get()
    assert (implant.gtin, implant.lot, implant.serial, implant.side) == (
        "00812345678901",
        "LOT123",
        "SN456",
        "left",
    )
    assert implant.expiry == datetime.date(2028, 12, 31)
    assert events(case)[-1].action == AuditAction.IMPLANT_ADDED
    answer = content(response)
    assert answer.lstrip().startswith('<form id="implant-form-left"')
    assert out_of_band_ids(answer)[:3] == [
        "implant-list-left",
        "implant-list-right",
        "case-summary",
    ]
    assert "live-sync" in out_of_band_ids(answer)
    assert not [name for name in out_of_band_ids(answer) if name.startswith("step-")]
    listed = text(answer)
    assert "Left side: 1 implant" in listed
    assert "LOT123" in listed
    assert "31 Dec 2028" in listed
    assert "SN456" in listed


@pytest.mark.parametrize("sides", [["left"], ["right"], ["left", "right"]])
def test_an_empty_form_is_drawn_as_the_crispy_tag_draws_it_for_each_side_and_focus(sides):
    """An empty form's fields are drawn once per process (``ImplantForm.fields_html``): each
    side's own, with and without the focus, the same the second time."""
    tag = Template("{% load crispy_forms_tags %}{% crispy form %}")
    for side in sides:
        for focus in (False, True):

            def form(side=side, focus=focus):
                return ImplantForm(sides=sides, panel_side=side, focus_barcode=focus)

            drawn = tag.render(Context({"form": form()}))
            assert f'id="implant-{side}-udi"' in drawn
            assert ("autofocus" in drawn) == focus
            assert form().fields_html == drawn
            assert form().fields_html == drawn


def test_after_a_scan_the_barcode_field_is_empty_focused_and_on_the_same_side(client, nurse, case):
    client.force_login(nurse)

    answer = content(add(client, case, udi=UDI, side="right"))

    barcode = re.search(r'<input type="text" name="udi"[^>]*>', answer).group(0)
    assert "autofocus" in barcode
    assert "value=" not in barcode
    assert answer.lstrip().startswith('<form id="implant-form-right"')
    assert '<input type="hidden" name="side" value="right"' in answer


def test_the_barcode_field_submits_the_form_on_enter(client, nurse, case):
    client.force_login(nurse)

    form = re.search(r'<form id="implant-form-left".*?</form>', panel(client, case), re.DOTALL)
    form = form.group(0)

    # A USB scanner types the code and presses Enter: implicit submission needs the field inside
    # a form that has a submit button.
    assert 'name="udi"' in form
    assert '<button type="submit"' in form
    assert f'hx-post="/cases/{case.pk}/implants/"' in form


def test_a_wrong_check_digit_is_refused_in_the_panel(client, nurse, case):
    client.force_login(nurse)

    response = add(client, case, udi=BAD_CHECK_DIGIT, side="left")

    assert response.status_code == 422
    assert "check digit" in text(content(response))
    assert 'value="(01)00812345678906' in content(response)  # kept, to be seen and rescanned
    assert Implant.objects.count() == 0


def test_without_a_side_the_implant_goes_on_the_side_whose_implant_step_is_next(
    client, nurse, case
):
    client.force_login(nurse)

    response = add(client, case, udi=UDI)

    assert response.status_code == 200
    assert Implant.objects.get().side == "left"
    assert "Left side: 1 implant" in text(content(response))


def test_without_a_side_a_one_sided_case_takes_the_implant_on_its_side(client, nurse, surgeon):
    right = make_case(mi_procedure(), actor=nurse, surgeon=surgeon, laterality="right")
    client.force_login(nurse)

    assert add(client, right, udi=UDI).status_code == 200
    assert Implant.objects.get().side == "right"


def test_a_catalogued_barcode_names_the_implant_on_its_read_back_card(client, nurse, case):
    client.force_login(nurse)

    answer = text(content(add(client, case, udi=UDI, side="left")))

    assert "Read back before opening: implant 1" in answer
    assert f"Product {NAME} Example Orthopaedics (fictitious) Size 7.0 x 45 mm" in answer
    assert "Side LEFT Expiry 31 Dec 2028 Lot LOT123" in answer
    assert "Unnamed product" not in answer


def test_the_read_back_is_one_tap_and_the_implant_is_then_listed_as_placed(client, nurse, case):
    client.force_login(nurse)
    add(client, case, udi=UDI, side="left")
    implant = case.implants.get()
    since = Case.objects.get(pk=case.pk).audit_seq

    response = client.post(
        f"/cases/{case.pk}/implants/{implant.pk}/read-back/", {"since": since}, headers=HTMX
    )

    assert response.status_code == 200
    answer = text(content(response))
    assert "Read back before opening" not in answer
    assert f"{NAME} · Example Orthopaedics (fictitious) · 7.0 x 45 mm" in answer
    assert f"Read back {display_name(nurse)}, " in answer
    event = events(case)[-1]
    assert (event.action, event.actor, event.after) == (
        AuditAction.IMPLANT_READ_BACK,
        nurse,
        {"implant": implant.pk, "side": "left", "position": 1},
    )


def test_an_unknown_gtin_asks_for_the_products_name_with_the_typed_fields_open(client, nurse, case):
    client.force_login(nurse)

    response = add(client, case, udi=UNKNOWN, side="left")

    assert response.status_code == 422
    answer = content(response)
    assert NOT_CATALOGUED in text(answer)
    assert '<details class="implant-typed" open>' in answer
    assert 'value="(01)00987654321005' in answer  # kept: only the name is to be typed
    product = re.search(r'<input type="text" name="product"[^>]*>', answer).group(0)
    assert "is-invalid" in product
    assert Implant.objects.count() == 0


def test_an_unknown_gtin_with_a_typed_name_is_logged(client, nurse, case):
    client.force_login(nurse)

    response = add(client, case, udi=UNKNOWN, side="left", product="Local fusion screw")

    assert response.status_code == 200
    implant = Implant.objects.get()
    assert (implant.product, implant.gtin) == ("Local fusion screw", "00987654321005")


def test_a_refusal_of_the_barcode_keeps_the_typed_fields_folded(client, nurse, case):
    client.force_login(nurse)

    answer = content(add(client, case, udi=BAD_CHECK_DIGIT, side="left"))

    assert '<details class="implant-typed">' in answer


def test_an_unreadable_expiry_is_refused_in_the_panel(client, nurse, case):
    client.force_login(nurse)

    response = add(client, case, product="iFuse-3D", side="left", expiry="31/31/2028")

    assert response.status_code == 422
    assert "Enter the expiry as a date" in text(content(response))


def test_a_one_sided_case_needs_no_side_choice(client, nurse, surgeon):
    left = make_case(mi_procedure(), actor=nurse, surgeon=surgeon, laterality="left")
    client.force_login(nurse)

    assert '<input type="hidden" name="side" value="left"' in panel(client, left)
    assert add(client, left, udi=UDI, side="left").status_code == 200


def test_it_counts_per_side_and_warns_below_two_on_a_minimally_invasive_case(client, nurse, case):
    log(case, nurse, side="left")
    log(case, nurse, side="left")
    log(case, nurse, side="right")
    client.force_login(nurse)
    html = panel(client, case)

    left = re.search(r"Left side:.*?(?=Right side:)", html, re.DOTALL).group(0)
    right = re.search(r"Right side:.*?</ol>", html, re.DOTALL).group(0)
    assert side_heading(html, "Left") == "Left side: 2 implants"
    assert side_heading(html, "Right") == "Right side: 1 implant"
    assert FEWER_THAN_TWO not in text(left)
    assert FEWER_THAN_TWO in text(right)


def test_the_warning_does_not_block_ticking_the_step(client, nurse, case):
    log(case, nurse, side="left")
    record(case, "Patient identity confirmed (name, date of birth, MRN)", nurse)
    record_phase(case, "time_out", nurse)
    for title in (
        "Lateral buttock incision made",
        "Gluteal muscles dissected down to the ilium",
        "Guide pin placed through the ilium; position confirmed on fluoroscopy",
        "Pathway drilled (and broached, where the implant system needs it) through the ilium "
        "toward the sacrum",
    ):
        record(case, title, nurse, side="left", **({"value": "4"} if "incision" in title else {}))
    client.force_login(nurse)
    step = case.steps.get(title=IMPLANTS, side="left")

    response = client.post(
        f"/cases/{case.pk}/steps/{step.pk}/", {"status": "done", "revision": 0}, headers=HTMX
    )

    assert response.status_code == 200
    assert FEWER_THAN_TWO in text(panel(client, case))


def test_an_open_fusion_shows_no_minimum_warning(client, nurse, surgeon):
    open_case = make_case(
        Procedure.objects.get(slug="si-fusion-open"), actor=nurse, surgeon=surgeon
    )
    client.force_login(nurse)

    html = panel(client, open_case)

    assert "Left side: 0 implants" in text(html)
    assert FEWER_THAN_TWO not in text(html)


def test_an_expired_implant_needs_a_reason_from_a_surgeon(client, nurse, surgeon, case):
    expired = {"product": "iFuse-3D", "side": "left", "expiry": "2020-01-31"}
    client.force_login(nurse)

    no_reason = add(client, case, **expired)
    assert '<details class="implant-typed" open>' in content(no_reason)  # the reason's field
    nurse_reason = add(client, case, **expired, expiry_override_reason="Only one in stock")
    client.force_login(surgeon)
    surgeon_reason = add(client, case, **expired, expiry_override_reason="Only one in stock")

    assert no_reason.status_code == 422
    assert "A surgeon must give a reason to use it" in text(content(no_reason))
    assert nurse_reason.status_code == 403
    assert "Only a surgeon can accept an expired implant." in text(content(nurse_reason))
    assert surgeon_reason.status_code == 200
    assert "Used after its expiry date because: Only one in stock" in text(content(surgeon_reason))
    assert Implant.objects.count() == 1


def test_remove_takes_an_implant_off_with_a_reason(client, nurse, case):
    implant = log(case, nurse)
    client.force_login(nurse)

    response = client.post(
        f"/cases/{case.pk}/implants/{implant.pk}/remove/", {"reason": "Mis-scan"}, headers=HTMX
    )

    assert response.status_code == 200
    # Out of band only (the form asks for no swap of its own): every side's list.
    assert out_of_band_ids(content(response))[:2] == ["implant-list-left", "implant-list-right"]
    assert "Left side: 0 implants" in text(content(response))
    assert Implant.objects.count() == 0
    event = events(case)[-1]
    assert (event.action, event.after) == (AuditAction.IMPLANT_REMOVED, {"reason": "Mis-scan"})


def test_remove_without_a_reason_is_refused_in_the_list(client, nurse, case):
    implant = log(case, nurse)
    client.force_login(nurse)

    response = client.post(f"/cases/{case.pk}/implants/{implant.pk}/remove/", headers=HTMX)

    assert response.status_code == 422
    assert "Give a reason for removing the implant" in text(content(response))
    assert Implant.objects.count() == 1


def test_a_removal_reason_past_the_limit_is_refused_in_the_list(client, nurse, case):
    implant = log(case, nurse)
    client.force_login(nurse)

    response = client.post(
        f"/cases/{case.pk}/implants/{implant.pk}/remove/", {"reason": "x" * 2001}, headers=HTMX
    )

    assert response.status_code == 422
    assert "at most 2000 characters" in text(content(response))
    assert Implant.objects.count() == 1


def test_removing_an_implant_of_another_case_is_not_found(client, nurse, surgeon, case):
    other = make_case(mi_procedure(), actor=nurse, surgeon=surgeon)
    implant = log(other, nurse)
    client.force_login(nurse)

    response = client.post(
        f"/cases/{case.pk}/implants/{implant.pk}/remove/", {"reason": "x"}, headers=HTMX
    )

    assert response.status_code == 404
    assert Implant.objects.count() == 1


def test_each_implant_has_a_remove_button_with_a_reason_field(client, nurse, case):
    implant = log(case, nurse)
    client.force_login(nurse)

    html = panel(client, case)

    assert f'<label class="form-label" for="remove-reason-{implant.pk}">' in html
    assert "Remove: Left side implant 1" in buttons(html)


def test_without_javascript_adding_redirects_to_the_panel(client, nurse, case):
    client.force_login(nurse)

    response = add(client, case, htmx=False, udi=UDI, side="left")

    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/#implants-left"
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Implant logged."]


def test_without_javascript_a_refusal_shows_the_page_with_the_panel_error(client, nurse, case):
    client.force_login(nurse)

    response = add(client, case, htmx=False, udi=BAD_CHECK_DIGIT, side="left")

    assert response.status_code == 422
    assert "<html" in content(response)
    assert "check digit" in text(content(response))


def test_a_reviewer_may_not_log_implants(client, reviewer, case):
    client.force_login(reviewer)

    assert add(client, case, udi=UDI, side="left").status_code == 403
    assert 'id="implant-form-' not in panel(client, case)
    assert Implant.objects.count() == 0


def test_a_cancelled_case_shows_the_log_without_forms(client, nurse, case):
    log(case, nurse)
    workflow.cancel(actor=nurse, case_id=case.pk, reason="Patient unwell")
    client.force_login(nurse)

    html = panel(client, case)

    assert "Left side: 1 implant" in text(html)
    assert "<form" not in html
    assert add(client, case, udi=UDI, side="left").status_code == 409


def test_the_panel_reads_the_same_number_of_queries_however_many_implants(
    client, nurse, case, django_assert_max_num_queries
):
    log(case, nurse, udi=UDI.replace("SN456", "SN1"), product="")
    client.force_login(nurse)
    with django_assert_max_num_queries(60) as one:
        client.get(f"/cases/{case.pk}/")
    with django_assert_max_num_queries(60) as one_scan:
        add(client, case, udi=UDI.replace("SN456", "SN2"), side="left")
    for n in range(3, 9):
        log(
            case,
            nurse,
            side=("left", "right")[n % 2],
            udi=UDI.replace("SN456", f"SN{n}"),
            product="",
        )

    with django_assert_max_num_queries(len(one)):
        page = client.get(f"/cases/{case.pk}/")
    with django_assert_max_num_queries(len(one_scan)):
        add(client, case, udi=UDI.replace("SN456", "SN9"), side="left")

    assert "Left side: 5 implants" in text(content(page))


# --- the same device twice, and recalls -------------------------------------------------------


def test_the_same_serial_scanned_twice_is_refused_with_409(client, nurse, case):
    client.force_login(nurse)
    add(client, case, udi=UDI, side="left")

    response = add(client, case, udi=UDI, side="left")

    assert response.status_code == 409
    answer = content(response)
    assert "This device (serial SN456) is already on this case's log: left side, implant 1." in (
        text(answer)
    )
    assert '<details class="implant-typed">' in answer  # nothing to type would help
    # Ready for the next scan: the scanner types into the focused field, which must be empty.
    barcode = re.search(r'<input type="text" name="udi"[^>]*>', answer).group(0)
    assert "autofocus" in barcode
    assert "value=" not in barcode
    assert Implant.objects.count() == 1


def test_a_device_implanted_in_another_case_needs_a_surgeons_reason(client, nurse, surgeon, case):
    other = make_case(
        mi_procedure(),
        actor=nurse,
        surgeon=surgeon,
        scheduled_start=datetime.datetime(2025, 3, 4, 9, 0, tzinfo=datetime.UTC),
    )
    log(other, nurse, udi=UDI, product="")
    reason = "Label misprinted by the maker"
    client.force_login(nurse)

    refused = add(client, case, udi=UDI, side="left")
    nurse_reason = add(client, case, udi=UDI, side="left", duplicate_override_reason=reason)
    client.force_login(surgeon)
    surgeon_reason = add(client, case, udi=UDI, side="left", duplicate_override_reason=reason)

    assert refused.status_code == 409
    said = text(content(refused))
    assert "already recorded as implanted in another case, on 04 Mar 2025" in said
    assert other.patient_name not in said and other.patient_mrn not in said
    assert '<details class="implant-typed" open>' in content(refused)  # the reason's field
    reason_field = re.search(
        r'<input [^>]*name="duplicate_override_reason"[^>]*>', content(refused)
    )
    assert "autofocus" in reason_field.group(0)
    assert 'value="(01)00812345678901' in content(refused)  # kept, to be sent with the reason
    assert nurse_reason.status_code == 403
    assert "Only a surgeon can log a device recorded in another case." in text(
        content(nurse_reason)
    )
    assert surgeon_reason.status_code == 200
    assert f"Logged though recorded in another case because: {reason}" in text(
        content(surgeon_reason)
    )
    assert Implant.objects.filter(case=case).get().duplicate_override_reason == reason
    event = events(case)[-1]
    assert (event.action, event.actor, event.after["duplicate_override_reason"]) == (
        AuditAction.IMPLANT_ADDED,
        surgeon,
        reason,
    )


def test_a_recalled_device_is_refused_with_the_recalls_reason(client, nurse, administrator, case):
    Recall.objects.create(
        gtin="00812345678901",
        scope=RecallScope.SERIALS,
        listed="SN456",
        reason="Sterile barrier may be breached",
        recalled_on=datetime.date(2025, 5, 6),
        recorded_by=administrator,
    )
    client.force_login(nurse)

    response = add(client, case, udi=UDI, side="left")

    assert response.status_code == 409
    assert "Recalled on 06 May 2025: Sterile barrier may be breached." in text(content(response))
    assert not Implant.objects.exists()
    assert add(client, case, udi=UDI.replace("SN456", "SN457"), side="left").status_code == 200
