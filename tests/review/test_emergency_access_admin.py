"""Administrators review each emergency access in the admin and sign it off; nothing else about
a grant can be changed, added or deleted there."""

import pytest
from django.urls import reverse

from review import emergency
from review.models import EmergencyAccess
from tests.review.conftest import signed_out

LIST = reverse("admin:review_emergencyaccess_changelist")


@pytest.fixture
def case(procedure, nurse, surgeon):
    return signed_out(procedure, nurse=nurse, surgeon=surgeon)


@pytest.fixture
def grants(case, nurse, scrub, administrator):
    """Two grants waiting for review, and one already signed off."""
    waiting = [
        emergency.grant(user=nurse, case_id=case.pk, reason="Implant card for the ward"),
        emergency.grant(user=scrub, case_id=case.pk, reason="Second operation today"),
    ]
    done = emergency.grant(user=nurse, case_id=case.pk, reason="Checked last week")
    emergency.sign_off(EmergencyAccess.objects.filter(pk=done.pk), by=administrator)
    return waiting, done


def sign_off(client, *grants, shown: str = ""):
    """The action as the list sends it; ``shown``: the filter the list was showing."""
    data = {"action": "sign_off", "_selected_action": [grant.pk for grant in grants]}
    url = f"{LIST}?signed_off={shown}" if shown else LIST
    return client.post(url, data, follow=True)


def test_the_list_shows_what_waits_for_sign_off(administrator_client, grants):
    html = administrator_client.get(LIST).content.decode()

    assert "Implant card for the ward" in html and "Second operation today" in html
    assert "Checked last week" not in html
    assert "2 emergency accesses" in html


@pytest.mark.parametrize(
    ("shown", "reasons"),
    [
        ("yes", {"Checked last week"}),
        ("all", {"Checked last week", "Implant card for the ward", "Second operation today"}),
    ],
)
def test_signed_off_ones_are_a_filter_away(administrator_client, grants, shown, reasons):
    html = administrator_client.get(LIST, {"signed_off": shown}).content.decode()
    everything = {"Checked last week", "Implant card for the ward", "Second operation today"}
    assert {reason for reason in everything if reason in html} == reasons


def test_signing_off_records_who_and_when(administrator_client, administrator, grants):
    waiting, _ = grants

    response = sign_off(administrator_client, *waiting)

    assert "2 emergency accesses signed off." in response.content.decode()
    for grant in waiting:
        grant.refresh_from_db()
        assert grant.reviewed_by == administrator and grant.reviewed_at is not None
    assert "Implant card" not in administrator_client.get(LIST).content.decode()


def test_signing_off_again_keeps_the_first_sign_off(administrator_client, grants):
    waiting, done = grants
    done.refresh_from_db()
    signed_at = done.reviewed_at
    assert signed_at is not None

    response = sign_off(administrator_client, waiting[0], done, shown="all")

    assert "1 emergency access signed off. 1 had already been signed off" in (
        response.content.decode()
    )
    done.refresh_from_db()
    assert done.reviewed_at == signed_at


def test_nobody_adds_edits_or_deletes_a_grant(administrator_client, grants):
    waiting, _ = grants
    grant = waiting[0]

    assert administrator_client.get(reverse("admin:review_emergencyaccess_add")).status_code == 403
    delete = reverse("admin:review_emergencyaccess_delete", args=[grant.pk])
    assert administrator_client.post(delete).status_code == 403
    change = reverse("admin:review_emergencyaccess_change", args=[grant.pk])
    page = administrator_client.get(change)
    assert page.status_code == 200 and "Implant card for the ward" in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    administrator_client.post(change, {"reason": "rewritten"})
    grant.refresh_from_db()
    assert grant.reason == "Implant card for the ward"
    assert EmergencyAccess.objects.count() == 3


def test_the_admin_index_lists_them(administrator_client, grants):
    assert "Emergency accesses" in administrator_client.get(reverse("admin:index")).content.decode()


@pytest.mark.parametrize("persona", ["reviewer", "nurse"])
def test_others_cannot_reach_them(client, db, request, persona, grants):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
