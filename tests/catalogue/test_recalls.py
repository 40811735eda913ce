"""Administrators record recalls in the admin: a device's every lot, or the lots or serials
listed. Scanning a recalled device is refused (tests/checklists/test_workflow_implants.py)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from catalogue.choices import RecallScope
from catalogue.models import Recall
from catalogue.selectors import recall_for

RECALL = {
    "gtin": "00812345678901",
    "recalled_on": "2025-05-06",
    "scope": "lots",
    "listed": "LOT1\r\nLOT2",
    "reason": "Coating may flake",
}


def test_an_administrator_records_a_recall_signed_as_theirs(administrator_client, administrator):
    response = administrator_client.post("/admin/catalogue/recall/add/", RECALL)

    assert response.status_code == 302
    recall = Recall.objects.get()
    assert (recall.recorded_by, recall.identifiers) == (administrator, {"LOT1", "LOT2"})
    assert recall.recalled_on == datetime.date(2025, 5, 6)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"scope": "lots", "listed": " \r\n"}, "List the lots recalled."),
        ({"scope": "serials", "listed": ""}, "List the serial numbers recalled."),
        ({"scope": "all", "listed": "LOT1"}, "A recall of every lot and serial lists none"),
        ({"gtin": "00812345678906"}, "check digit is wrong"),
        ({"reason": ""}, "This field is required."),
    ],
)
def test_a_recall_that_does_not_hold_together_is_refused_in_the_form(
    administrator_client, changes, message
):
    response = administrator_client.post("/admin/catalogue/recall/add/", {**RECALL, **changes})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Recall.objects.exists()


def test_a_nurse_does_not_reach_the_recalls(client, nurse):
    client.force_login(nurse)

    assert client.get("/admin/catalogue/recall/").status_code == 302


@pytest.mark.parametrize(
    ("scope", "listed", "lot", "serial", "covered"),
    [
        (RecallScope.ALL, "", "", "", True),
        (RecallScope.LOTS, "L1,L2", "L2", "S9", True),
        (RecallScope.LOTS, "L1,L2", "L3", "L1", False),
        (RecallScope.LOTS, "L1", "", "", False),
        (RecallScope.SERIALS, "S1\nS2", "S1", "S3", False),
        (RecallScope.SERIALS, "S1\nS2", "", "S2", True),
    ],
)
def test_what_a_recall_covers(scope, listed, lot, serial, covered):
    recall = Recall(gtin="00812345678901", scope=scope, listed=listed)

    assert recall.covers(lot=lot, serial=serial) is covered


def test_the_newest_covering_recall_is_the_one_named(db, administrator):
    def make(day: int, scope: str, listed: str = "") -> Recall:
        return Recall.objects.create(
            gtin="00812345678901",
            scope=scope,
            listed=listed,
            reason=f"Recall {day}",
            recalled_on=datetime.date(2025, 5, day),
            recorded_by=administrator,
        )

    make(1, RecallScope.ALL)
    newest = make(9, RecallScope.SERIALS, "S1")
    make(10, RecallScope.LOTS, "L9")

    assert recall_for("00812345678901", lot="L1", serial="S1") == newest
    assert recall_for("00812345678925", lot="L1", serial="S1") is None
    with pytest.raises(ValidationError):
        Recall(gtin="0081", reason="x", recalled_on=datetime.date(2025, 1, 1)).full_clean(
            exclude=["recorded_by"]
        )


def test_a_recalls_admin_page_links_the_look_up_of_each_listed_lot(
    administrator_client, administrator
):
    administrator_client.post("/admin/catalogue/recall/add/", RECALL)
    recall = Recall.objects.get()

    html = administrator_client.get(f"/admin/catalogue/recall/{recall.pk}/change/").content
    page = "/review/recalls/?gtin=00812345678901"
    assert f'href="{page}&amp;lot=LOT1"'.encode() in html
    assert f'href="{page}&amp;lot=LOT2"'.encode() in html
