"""POST /api/v1/cases/<id>/implants/: an implant scanned or typed, through
``workflow.add_implant``, with the tablet's checks and statuses."""

import datetime

from django.utils import timezone

from checklists.choices import AuditAction
from checklists.models import Implant
from tests.api.conftest import post_json
from tests.conftest import events

PROBLEM = "application/problem+json"
SCAN = "(01)00812345678901(17)281231(10)LOT123(21)SN456"


def url(case) -> str:
    return f"/api/v1/cases/{case.pk}/implants/"


def test_it_logs_a_typed_implant_as_the_integration(api, token, case):
    response = post_json(api, url(case), {"product": "iFuse-3D", "lot": "L1", "size": "7 x 45"})

    assert response.status_code == 201
    body = response.json()
    assert (body["product"], body["lot"], body["side"], body["position"]) == (
        "iFuse-3D",
        "L1",
        "left",
        1,
    )
    assert body["added_by"] == "Theatre engine (API)"
    [event] = events(case, action=AuditAction.IMPLANT_ADDED)
    assert event.actor == token[0].user


def test_a_scan_is_read_and_named_from_the_catalogue(api, case, device_catalogue):
    response = post_json(api, url(case), {"udi": SCAN})

    assert response.status_code == 201
    body = response.json()
    assert (body["gtin"], body["lot"], body["serial"], body["expiry"]) == (
        "00812345678901",
        "LOT123",
        "SN456",
        "2028-12-31",
    )
    assert body["product"] == "Exemplar SI Fusion Implant EX-7045"


def test_the_same_device_twice_is_a_conflict(api, case, device_catalogue):
    post_json(api, url(case), {"udi": SCAN})

    again = post_json(api, url(case), {"udi": SCAN})

    assert again.status_code == 409
    assert again["Content-Type"] == PROBLEM
    assert again.json()["type"] == "urn:sitracker:problem:device-conflict"
    assert Implant.objects.count() == 1


def test_an_implant_without_a_name_or_a_barcode_is_a_422(api, case):
    response = post_json(api, url(case), {"lot": "L1"})

    assert response.status_code == 422
    assert response.json()["detail"] == "Name the implant's product or scan its barcode."
    assert not Implant.objects.exists()


def test_an_expired_implant_needs_a_surgeon_not_an_integration(api, case):
    expired = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()

    response = post_json(
        api,
        url(case),
        {"product": "iFuse-3D", "expiry": expired, "expiry_override_reason": "No other"},
    )

    assert response.status_code == 403
    assert response.json()["type"] == "urn:sitracker:problem:not-permitted"
    assert not Implant.objects.exists()


def test_a_side_the_case_does_not_have_holds_the_case_for_the_surgeon(api, case):
    response = post_json(api, url(case), {"product": "iFuse-3D", "side": "right"})

    assert response.status_code == 201  # logged as reported: the room is stopped, not the API
    assert case.side_disagreements.get().side_seen == "right"
    refused = post_json(api, url(case), {"product": "iFuse-3D", "side": "left"})
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "The sides disagree: Implant 1 (iFuse-3D): right seen, the case is left. "
        "Only the surgeon resolves it, with a reason; everything else waits."
    )


def test_an_unknown_case_is_a_404(api, db):
    response = post_json(api, "/api/v1/cases/777777/implants/", {"product": "iFuse-3D"})

    assert response.status_code == 404
    assert response.json()["detail"] == "There is no such case."
