"""Emergency access fuzzed: the reason form, and the record it opens, for every persona and case
id. What is sent and what must hold in general: tests/security/fuzzing.py. Here also: a grant is
made only for OR staff or a surgeon, for a case that exists, with a reason, and comes with
exactly one access-log entry of its own kind; a refusal grants and logs nothing; the patient's
identity is never in a refusal, nor in a redirect's address."""

from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from checklists.choices import AccessAction
from checklists.models import RecordAccess
from review.models import EmergencyAccess
from tests.security.conftest import PERSONAS, rolled_back
from tests.security.fuzzing import (
    CASE_NAMES,
    FUZZ,
    HTMX,
    bodies,
    case_id,
    check,
    client_for,
    field,
    mostly,
    send,
    snapshot,
)

ASKERS = mostly(["nurse", "scrub", "anaesthetist", "surgeon"], ["anonymous", *PERSONAS])
MAY_ASK = ("nurse", "scrub", "anaesthetist", "surgeon")
EXISTING = ("in_progress", "ready", "completed", "scheduled", "other")
IDENTITY = ("MRN0042", "Pat Example", "MRN0099", "Olive Other")


def counts() -> tuple[int, int]:
    return EmergencyAccess.objects.count(), RecordAccess.objects.count()


@FUZZ
@given(
    who=ASKERS,
    case=mostly(["completed", "in_progress"], CASE_NAMES),
    body=bodies(reason=field("Back in theatre", "", "   ", "x" * 1001, "ok\x00")),
    htmx=HTMX,
)
def test_asking_for_emergency_access_survives_anything(world, who, case, body, htmx):
    with rolled_back():
        client = client_for(world, who)
        before, (grants, entries) = snapshot(), counts()
        url = reverse("review:emergency-access", args=[case_id(world, case)])
        response = send(client, url, body.on({"reason": "Back in theatre"}), htmx)
        check(response, before)
        assert not any(identity in response.content.decode() for identity in IDENTITY)
        if response.status_code >= 400:
            assert counts() == (grants, entries), "a refusal granted or logged"
        granted = EmergencyAccess.objects.count() - grants
        if granted:
            assert granted == 1 and who in MAY_ASK and case in EXISTING
            assert response.status_code == 302
            assert response["Location"] == reverse("review:record", args=[case_id(world, case)])
            newest = RecordAccess.objects.order_by("-pk").first()
            assert RecordAccess.objects.count() == entries + 1
            assert (newest.user, newest.action) == (world.people[who], AccessAction.EMERGENCY)


@FUZZ
@given(
    who=st.sampled_from(["anonymous", *PERSONAS]),
    case=st.sampled_from(CASE_NAMES),
    granted=st.sampled_from([None, *EXISTING]),
    htmx=HTMX,
    method=st.sampled_from(["GET", "HEAD", "POST"]),
)
def test_the_record_opens_only_by_role_or_grant(world, who, case, granted, htmx, method):
    with rolled_back():
        client = client_for(world, who)
        if granted and who in MAY_ASK:
            reason = {"reason": "Back in theatre"}
            client.post(reverse("review:emergency-access", args=[case_id(world, granted)]), reason)
        before, (_, entries) = snapshot(), counts()
        url = reverse("review:record", args=[case_id(world, case)])
        response = client.generic(method, url, headers=htmx)
        check(response, before)
        opens = who in ("reviewer", "administrator") or (who in MAY_ASK and granted == case)
        if case in EXISTING and method != "POST" and who != "anonymous":
            assert (response.status_code == 200) == opens, response.status_code
        if response.status_code != 200:
            assert RecordAccess.objects.count() == entries, "a refusal was logged as a view"
            assert not any(identity in response.content.decode() for identity in IDENTITY)
