"""The reviewers' endpoints fuzzed: marking a case reviewed, the list's filters, the export
and the dashboard, the MRN search. What is sent and what must hold:
tests/security/fuzzing.py."""

from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.security.conftest import rolled_back
from tests.security.fuzzing import (
    CASE_NAMES,
    FUZZ,
    HTMX,
    REVIEWERS,
    assert_local_redirect,
    bodies,
    case_id,
    check,
    client_for,
    field,
    get,
    mostly,
    send,
    snapshot,
)


@FUZZ
@given(
    who=REVIEWERS,
    case=mostly(["completed"], CASE_NAMES),
    body=bodies(comment=field("Reviewed, fine", "x" * 2001)),
)
def test_mark_reviewed_survives_anything(world, who, case, body):
    with rolled_back():
        client = client_for(world, who)
        before = snapshot()
        url = f"/review/{case_id(world, case)}/mark-reviewed/"
        response = send(client, url, body.on({"comment": "Reviewed, fine"}), {})
        check(response, before)
        if snapshot().events > before.events:
            assert case == "completed" and who in ("reviewer", "administrator")


REVIEW_FILTERS = {
    "date_from": field("2024-01-01", "2099-12-31", "0001-01-01", "2024-13-01"),
    "date_to": field("2030-01-01", "1999-01-01"),
    "surgeon": field(4, 1, 10**12, -1),
    "procedure": field(1, 3, 10**12),
    "room": field("OR 3", "OR 99"),
    "status": field("completed", "reviewed", "cancelled", "in_progress"),
    "compliance": field("compliant", "not_compliant", "required_missing", "time_out_late"),
    "amended": field("yes", "no"),
    "reviewed": field("yes", "no"),
    "cancelled": field("on", "true", "1", "0"),
    "mrn": field("held", "MRN0042"),
    "sort": field("date", "-date", "surgeon", "-required", "patient_mrn", "-pk", "id"),
    "per_page": field(25, 50, 100, 0, 10**6),
    "page": field(1, 2, 0, -1, "last", 10**20),
    "rows": field("cases", "steps", "events"),
}
REVIEW_PAGES = ["review:case-list", "review:export", "review:dashboard"]


@FUZZ
@given(
    who=REVIEWERS,
    page=st.sampled_from(REVIEW_PAGES),
    params=bodies(**REVIEW_FILTERS),
    htmx=HTMX,
    held_mrn=st.sampled_from([None, "MRN0042", "nobody"]),
)
def test_review_filters_survive_anything(world, who, page, params, htmx, held_mrn):
    with rolled_back():
        client = client_for(world, who)
        if held_mrn and who != "anonymous":
            session = client.session
            session["review_held_mrn"] = held_mrn
            session.save()
        before = snapshot()
        valid = {"status": "completed", "sort": "-date", "per_page": "50", "rows": "steps"}
        response = get(client, reverse(page), params.on(valid).data, htmx)
        check(response, before)
        assert snapshot() == before  # looking never changes a case


@FUZZ
@given(
    who=REVIEWERS,
    body=bodies(
        mrn=field("MRN0042", "M" * 33, " MRN0042 "),
        filters=field(
            "status=reviewed&sort=-date",
            "page=2&mrn=held",
            "sort=patient_mrn",
            "date_from=x&&&=&surgeon=%00",
            "a" * 2001,
        ),
    ),
)
def test_mrn_search_survives_anything(world, who, body):
    with rolled_back():
        client = client_for(world, who)
        before = snapshot()
        body = body.on({"mrn": "MRN0042", "filters": "status=completed&sort=-date"})
        response = send(client, reverse("review:mrn-search"), body, {})
        check(response, before)
        assert_local_redirect(response)
        if response.status_code == 302 and who in ("reviewer", "administrator"):
            target = response["Location"]
            assert "MRN0042" not in target, "an MRN went into a URL"
            check(client.get(target), before)


RECALL_SEARCH = {
    "gtin": field("00812345678901", "812345678901", "00812345678906", "0" * 14, "x", "9" * 41),
    "lot": field("L1", "LOT123", "L" * 21, "%00", "=cmd|' /C calc'!A0"),
    "serial": field("SN456", "S" * 21, " SN456 "),
    "page": field(1, 2, 0, -1, "last", 10**20),
}


@FUZZ
@given(
    who=REVIEWERS,
    page=st.sampled_from(["review:recalls", "review:recalls-export"]),
    params=bodies(**RECALL_SEARCH),
    htmx=HTMX,
)
def test_recall_look_up_survives_anything(world, who, page, params, htmx):
    with rolled_back():
        client = client_for(world, who)
        before = snapshot()
        valid = {"gtin": "00812345678901", "serial": "SN456"}
        response = get(client, reverse(page), params.on(valid).data, htmx)
        check(response, before)
        assert snapshot() == before  # looking never changes a case
