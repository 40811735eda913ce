"""The debrief's endpoints fuzzed: an action added, an action closed. What is sent and what
must hold: tests/security/fuzzing.py (never a 500; a refusal changes nothing; a change is one
audit event and one case's version)."""

import datetime

from django.utils import timezone
from hypothesis import given

from checklists import workflow
from checklists.models import DebriefAction
from tests.security.conftest import rolled_back
from tests.security.fuzzing import (
    FUZZ,
    HTMX,
    OPEN_CASES,
    RECORDERS,
    WHO,
    assert_local_redirect,
    bodies,
    case_id,
    check,
    client_for,
    field,
    mostly,
    send,
    snapshot,
)

IN_A_WEEK = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
ADD_FIELDS = {
    "what": field("Order 7.0 mm drill bits", "x" * 200, "x" * 201),
    "owner": field("role:nurse", "role:scrub", "role:surgeon", "person:1", "role:", "person:x"),
    "due": field(IN_A_WEEK, "2001-01-01", "2099-12-31", "31/12/2099", "0000-00-00"),
}
CLOSE_FIELDS = {
    "note": field("Lamp replaced", "x" * 2000, "x" * 2001),
    "next": field("/review/debrief/", "https://elsewhere.example/", "//elsewhere.example/", ""),
}


@FUZZ
@given(who=RECORDERS, case=OPEN_CASES, body=bodies(**ADD_FIELDS), htmx=HTMX)
def test_adding_an_action_survives_anything(world, who, case, body, htmx):
    with rolled_back():
        client = client_for(world, who)
        before = snapshot()
        url = f"/cases/{case_id(world, case)}/debrief/"
        response = send(client, url, body.on({"what": "Lamp", "owner": "role:nurse"}), htmx)
        check(response, before)
        assert_local_redirect(response)
        if snapshot().events > before.events:  # accepted: an action with words and one owner
            action = DebriefAction.objects.order_by("-pk").first()
            assert action.what.strip() and bool(action.owner_id) != bool(action.owner_role)


@FUZZ
@given(
    who=WHO,
    target=mostly(["open"], ["open", "closed", "unknown", "huge"]),
    body=bodies(**CLOSE_FIELDS),
    htmx=HTMX,
)
def test_closing_an_action_survives_anything(world, who, target, body, htmx):
    with rolled_back():
        action = workflow.add_debrief_action(
            actor=world.nurse,
            case_id=world.in_progress.pk,
            what="Fix the lamp",
            due=timezone.localdate(),
            owner_role="nurse",
        )
        if target == "closed":
            workflow.close_debrief_action(actor=world.nurse, action_id=action.pk, note="Done")
        action_id = {"unknown": 10**9, "huge": 2**70}.get(target, action.pk)
        client = client_for(world, who)
        before = snapshot()
        response = send(client, f"/debrief-actions/{action_id}/closed/", body, htmx)
        check(response, before)
        assert_local_redirect(response)
        if snapshot().events > before.events:
            action.refresh_from_db()
            assert action.closing_note.strip() and target == "open"
