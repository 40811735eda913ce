"""The tablet's endpoints fuzzed: a step, implants, cancel, sign-out, a new case, and the
checklist pages' query parameters. What is sent and what must hold: tests/security/fuzzing.py."""

import contextlib

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from checklists.errors import WorkflowError
from checklists.models import AuditEvent, Case, CaseStep
from tests.conftest import PASSWORD, record
from tests.security.conftest import COUNTS, World, rolled_back
from tests.security.fuzzing import (
    CASE_NAMES,
    FUZZ,
    HTMX,
    OPEN_CASES,
    RECORDERS,
    SIGNERS,
    USER_AGENTS,
    WHO,
    Body,
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

STEP_FIELDS = {
    "status": field("done", "pending", "na"),
    "revision": field(0, 1, 2, 3, -1, 2**31, 2**63),
    "value": field("4", "3", "5", "2.99", "5.01", "4.00001", "yes", "no", "Lateral", "Other"),
    "note": field("Checked twice"),
    "na_reason": field("Not needed for this patient"),
    "since": field(0, 1, 5, 10_000, -1),
}
STEP_TARGETS = st.tuples(
    mostly(["own"], ["own", "other", "unknown", "huge"]), st.integers(min_value=0, max_value=12)
)
VALID_VALUES = {"number": "4", "yes_no": "yes", "choice": "Lateral", "text": "Fine"}


def pick_step(world: World, case: Case | None, target: tuple[str, int]) -> CaseStep | int:
    """A step of ``case`` (by index), or the id of another case's step or of none at all."""
    kind, index = target
    if kind == "other":
        return world.other_step
    if kind in ("unknown", "huge"):
        return 10**9 if kind == "unknown" else 2**64
    steps = list(case.steps.order_by("position")) if case else []
    return steps[index % len(steps)] if steps else 10**9


def valid_step_form(step: CaseStep | int, case: Case | None) -> dict[str, str]:
    """What the page would send to tick ``step`` now."""
    if not isinstance(step, CaseStep):
        return {"status": "done", "revision": "0"}
    since = str(case.audit_seq) if case else "0"
    value = VALID_VALUES.get(step.kind, "")
    return {"status": "done", "value": value, "revision": str(step.revision), "since": since}


@FUZZ
@given(
    who=RECORDERS,
    case=OPEN_CASES,
    target=STEP_TARGETS,
    body=bodies(**STEP_FIELDS),
    htmx=HTMX,
)
def test_step_update_survives_anything(world, who, case, target, body, htmx):
    with rolled_back():
        client = client_for(world, who)
        the_case = Case.objects.filter(pk=case_id(world, case)).first()
        step = pick_step(world, the_case, target)
        step_pk = step.pk if isinstance(step, CaseStep) else step
        url = f"/cases/{case_id(world, case)}/steps/{step_pk}/"
        before = snapshot()
        check(send(client, url, body.on(valid_step_form(step, the_case)), htmx), before)


STOP_TARGETS = mostly(["stop"], ["stop", "own", "other", "unknown", "huge"])


@FUZZ
@given(
    who=SIGNERS,
    case=OPEN_CASES,
    target=STOP_TARGETS,
    body=bodies(
        revision=field(0, 1, 2, 3, -1, 2**31, 2**63),
        reason=field("Counted again by two nurses: all present", "   "),
        since=field(0, 4),
    ),
    htmx=HTMX,
)
def test_stop_override_survives_anything(world, who, case, target, body, htmx):
    with rolled_back():
        client = client_for(world, who)
        the_case = Case.objects.filter(pk=case_id(world, case)).first()
        stop = None
        if the_case is not None and the_case.is_open:
            with contextlib.suppress(WorkflowError):  # a scheduled case: the hard stop waits
                stop = record(the_case, COUNTS, world.nurse, value="no")  # a Stop to override
        if target == "stop":
            step = stop or pick_step(world, the_case, ("own", 0))
        else:
            step = pick_step(world, the_case, (target, 1))
        step_pk = step.pk if isinstance(step, CaseStep) else step
        revision = str(step.revision) if isinstance(step, CaseStep) else "0"
        valid = {"revision": revision, "reason": "Counted again by two nurses: all present"}
        url = f"/cases/{case_id(world, case)}/steps/{step_pk}/override/"
        before = snapshot()
        check(send(client, url, body.on(valid), htmx), before)


IMPLANT_FIELDS = {
    "udi": field(
        "(01)00812345678901(17)281231(10)LOT123(21)SN456",
        "(01)00812345678901(17)200101(10)OLD",
        "(01)00812345678902",
        "0100812345678901\x1d10LOT9",
        "]d20100812345678901",
        "(01)123",
    ),
    "side": field("left", "right", "bilateral"),
    "manufacturer": field("SI-Bone"),
    "product": field("iFuse-3D"),
    "size": field("7.0 x 45"),
    "lot": field("LOT123", "L" * 21),
    "expiry": field("2030-12-31", "2020-01-01", "2999-99-99", "0001-01-01"),
    "serial": field("SN456"),
    "duplicate_override_reason": field("Box relabelled: the other case's record is wrong"),
    "expiry_override_reason": field("Only size in stock; surgeon accepts"),
    "since": field(0, 3),
}
VALID_IMPLANT = {"side": "right", "manufacturer": "SI-Bone", "product": "iFuse-3D", "lot": "L9"}


@FUZZ
@given(who=RECORDERS, case=OPEN_CASES, body=bodies(**IMPLANT_FIELDS), htmx=HTMX)
def test_implant_add_survives_anything(world, who, case, body, htmx):
    with rolled_back():
        client = client_for(world, who)
        before = snapshot()
        url = f"/cases/{case_id(world, case)}/implants/"
        check(send(client, url, body.on(VALID_IMPLANT), htmx), before)


@FUZZ
@given(
    who=RECORDERS,
    case=mostly(["in_progress"], CASE_NAMES),
    implant=mostly(["own"], ["own", "other", "unknown", "huge"]),
    body=bodies(reason=field("Scanned twice"), since=field(0, 4)),
    htmx=HTMX,
)
def test_implant_remove_survives_anything(world, who, case, implant, body, htmx):
    implant_ids = {
        "own": world.implant.pk,
        "other": world.other_implant.pk,
        "unknown": 10**9,
        "huge": 2**64,
    }
    with rolled_back():
        client = client_for(world, who)
        url = f"/cases/{case_id(world, case)}/implants/{implant_ids[implant]}/remove/"
        before = snapshot()
        check(send(client, url, body.on({"reason": "Scanned twice"}), htmx), before)


@FUZZ
@given(
    who=RECORDERS,
    case=mostly(["in_progress"], CASE_NAMES),
    implant=mostly(["own"], ["own", "other", "unknown", "huge"]),
    body=bodies(reason=field("Dropped", "   ", "x" * 2001), since=field(0, 4)),
    htmx=HTMX,
)
def test_implant_waste_survives_anything(world, who, case, implant, body, htmx):
    implant_ids = {
        "own": world.implant.pk,
        "other": world.other_implant.pk,
        "unknown": 10**9,
        "huge": 2**64,
    }
    with rolled_back():
        client = client_for(world, who)
        url = f"/cases/{case_id(world, case)}/implants/{implant_ids[implant]}/waste/"
        before = snapshot()
        check(send(client, url, body.on({"reason": "Dropped"}), htmx), before)


@FUZZ
@given(
    who=RECORDERS,
    case=mostly(["in_progress"], CASE_NAMES),
    implant=mostly(["own"], ["own", "other", "unknown", "huge"]),
    body=bodies(since=field(0, 4)),
    htmx=HTMX,
)
def test_implant_read_back_survives_anything(world, who, case, implant, body, htmx):
    implant_ids = {
        "own": world.implant.pk,
        "other": world.other_implant.pk,  # logged in the other case, not yet read back
        "unknown": 10**9,
        "huge": 2**64,
    }
    with rolled_back():
        client = client_for(world, who)
        url = f"/cases/{case_id(world, case)}/implants/{implant_ids[implant]}/read-back/"
        before = snapshot()
        check(send(client, url, body.on({}), htmx), before)


@FUZZ
@given(
    who=RECORDERS,
    case=OPEN_CASES,
    body=bodies(reason=field("Patient unwell", "   ")),
    htmx=HTMX,
)
def test_cancel_survives_anything(world, who, case, body, htmx):
    with rolled_back():
        client = client_for(world, who)
        before = snapshot()
        url = f"/cases/{case_id(world, case)}/cancel/"
        check(send(client, url, body.on({"reason": "Patient unwell"}), htmx), before)
        if snapshot().events > before.events:  # accepted: the case is cancelled, with a reason
            cancelled = Case.objects.get(pk=case_id(world, case))
            assert cancelled.status == "cancelled" and cancelled.cancel_reason.strip()


@FUZZ
@given(
    who=SIGNERS,
    case=mostly(["ready"], CASE_NAMES),
    body=bodies(password=field(PASSWORD, "wrong-password", PASSWORD + " ", PASSWORD.upper())),
    htmx=HTMX,
)
def test_sign_out_survives_anything(world, who, case, body, htmx):
    with rolled_back():
        client = client_for(world, who)
        body = body.on({"password": PASSWORD})
        before = snapshot()
        response = send(client, f"/cases/{case_id(world, case)}/sign-out/", body, htmx)
        password = body.last("password")
        wrong = password not in (None, "", PASSWORD) and "\x00" not in password
        check(response, before, refused_signature=wrong and who == "surgeon" and case == "ready")
        if snapshot().events > before.events and response.status_code == 302:
            assert (who, case, password) == ("surgeon", "ready", PASSWORD)


NEW_CASE_FIELDS = {
    "patient_mrn": field("MRN0042", "M" * 33),
    "patient_name": field("Pat Example"),
    "patient_birth_date": field("1961-03-14", "2999-01-01", "1850-01-01", "1961-02-30"),
    "procedure": field(0, -1, 10**12),
    "laterality": field("left", "right", "bilateral", "both"),
    "surgeon": field(0, 10**12),
    "room": field("OR 3"),
    "scheduled_start": field(
        "2030-01-01T08:00", "2030-01-01T08:00:00", "0001-01-01T00:00", "9999-12-31T23:59"
    ),
}


def valid_new_case(world: World) -> dict[str, str]:
    return {
        "patient_mrn": "MRN0042",
        "patient_name": "Pat Example",
        "patient_birth_date": "1961-03-14",
        "procedure": str(world.procedure.pk),
        "laterality": "bilateral",
        "surgeon": str(world.surgeon.pk),
        "room": "OR 3",
        "scheduled_start": "2030-01-01T08:00",
    }


@FUZZ
@given(who=RECORDERS, body=bodies(**NEW_CASE_FIELDS), htmx=HTMX)
def test_new_case_survives_anything(world, who, body, htmx):
    with rolled_back():
        client = client_for(world, who)
        before = snapshot()
        response = send(client, reverse("case-new"), body.on(valid_new_case(world)), htmx)
        check(response, before)
        assert_local_redirect(response)


# --- the pages' own query parameters ---------------------------------------------------------


@FUZZ
@given(
    who=WHO,
    page=st.sampled_from(["home", "case-version", "case-detail", "case-sign-out"]),
    case=st.sampled_from(CASE_NAMES),
    params=bodies(
        day=field("2024-02-29", "2023-02-29", "0001-01-01", "3000-01-01"),
        since=field(0, 3, -1),
    ),
    htmx=HTMX,
    user_agent=USER_AGENTS,
)
def test_checklist_pages_survive_any_query(world, who, page, case, params, htmx, user_agent):
    with rolled_back():
        client = client_for(world, who)
        kwargs = {} if page == "home" else {"case_id": case_id(world, case)}
        before = snapshot()
        headers = {**htmx, "User-Agent": user_agent}
        query = params.on({"day": "2024-02-29", "since": "1"}).data
        response = get(client, reverse(page, kwargs=kwargs), query, headers)
        check(response, before)
        assert snapshot() == before


@pytest.mark.parametrize("encoding", ["multipart", "urlencoded"])
def test_a_long_user_agent_is_cut_to_its_column(world, client, encoding):
    """The audit trail keeps the browser's name, cut to its column (300 characters)."""
    client.force_login(world.nurse)
    step = world.in_progress.steps.get(title="Incision length")
    body = Body({"status": "done", "value": "4", "revision": str(step.revision)}, encoding, None)
    url = reverse("step-update", kwargs={"case_id": step.case_id, "step_id": step.pk})
    response = send(client, url, body, {"User-Agent": "Ü" * 5000})
    assert response.status_code == 302
    assert len(AuditEvent.objects.order_by("-pk").first().user_agent) == 300
