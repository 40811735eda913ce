"""The tablet's implant panel: "Opened, not implanted…" on a logged implant, with a reason."""

import pytest

from checklists.choices import AuditAction
from checklists.models import Implant
from tests.checklists.checklist_html import buttons, content, out_of_band_ids, text
from tests.checklists.test_implants_panel import HTMX, UDI, log, panel
from tests.conftest import events

pytestmark = pytest.mark.usefixtures("device_catalogue")


def waste(client, case, implant, **data):
    return client.post(f"/cases/{case.pk}/implants/{implant.pk}/waste/", data, headers=HTMX)


def test_opened_not_implanted_stays_listed_marked_and_not_counted(client, nurse, case):
    log(case, nurse, udi=UDI, product="")
    implant = log(case, nurse, udi=UDI.replace("SN456", "SN457"), product="")
    client.force_login(nurse)

    response = waste(client, case, implant, reason="Dropped on the floor")

    assert response.status_code == 200
    assert out_of_band_ids(content(response))[:2] == ["implant-list-left", "implant-list-right"]
    words = text(content(response))
    assert "Left side: 1 implant, 1 opened, not implanted" in words
    assert "Opened, not implanted because: Dropped on the floor" in words
    implant.refresh_from_db()
    assert implant.wasted_reason == "Dropped on the floor"
    event = events(case)[-1]
    assert (event.action, event.actor) == (AuditAction.IMPLANT_WASTED, nurse)


def test_each_placed_implant_offers_it_and_a_wasted_one_no_more(client, nurse, case):
    implant = log(case, nurse)
    client.force_login(nurse)
    label = "Record as opened, not implanted: Left side implant 1"
    assert label in buttons(panel(client, case))

    waste(client, case, implant, reason="Wrong size opened")

    assert label not in buttons(panel(client, case))


def test_without_a_reason_it_is_refused_in_the_list(client, nurse, case):
    implant = log(case, nurse)
    client.force_login(nurse)

    response = waste(client, case, implant)

    assert response.status_code == 422
    assert "Say why the implant was opened but not implanted." in text(content(response))
    assert Implant.objects.get().wasted_reason == ""


def test_a_reason_past_the_limit_is_refused_in_the_list(client, nurse, case):
    implant = log(case, nurse)
    client.force_login(nurse)

    response = waste(client, case, implant, reason="x" * 2001)

    assert response.status_code == 422
    assert "at most 2000 characters" in text(content(response))


def test_without_javascript_it_redirects_to_the_panel(client, nurse, case):
    implant = log(case, nurse)
    client.force_login(nurse)

    response = client.post(f"/cases/{case.pk}/implants/{implant.pk}/waste/", {"reason": "Dropped"})

    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/#implants-left"


def test_a_reviewer_may_not_record_it(client, nurse, reviewer, case):
    implant = log(case, nurse)
    client.force_login(reviewer)
    assert waste(client, case, implant, reason="Dropped").status_code == 403
    assert Implant.objects.get().wasted_reason == ""
