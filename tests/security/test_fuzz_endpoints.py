"""Every form and every POST endpoint, fed whatever Hypothesis can think of.

Each test sends at least 200 generated requests to one endpoint: known fields missing, empty,
of the wrong type, huge or negative numbers, unicode (NUL, right-to-left marks, other
scripts' digits, and lone surrogates where the encoding can carry them: a urlencoded body
may hold invalid UTF-8, a multipart one from Django's test client cannot), extra fields,
repeated fields, a JSON body where a form is expected, the ids of another case's steps and
implants, forged revisions, htmx headers on and off, and every persona. Half the bodies
start from the form the page itself would send (right revision, valid answer) with zero to
two fields replaced, so that many requests get past the permission and form checks into the
workflow, and are accepted or refused there. Whatever comes:

- the answer is never a 5xx (a view's exception would surface here as itself);
- a refused request (any 4xx) changes nothing: the audit trail's length, every case's
  version and status, the implant log. The one refusal that writes, by design, is a wrong
  signature password: exactly one SIGNATURE_REFUSED event, the case's version unchanged;
- an accepted one writes at most one audit event, and an event always comes with exactly
  one case's version moving by one (or a new case, for scheduling).

Each example runs in a savepoint that is rolled back, with a fresh client and login, so an
example never depends on what the one before it did.
"""

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.contrib.auth.models import User
from django.db.models import Count
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from accounts.models import StaffProfile
from checklists.choices import AuditAction
from checklists.models import AuditEvent, Case, CaseStep, Implant
from tests.conftest import PASSWORD, enrol_tablet
from tests.security.conftest import PERSONAS, PIN, World, rolled_back

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- what to send --------------------------------------------------------------------------

EDGE_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "0",
    "-0",
    "-1",
    "4",
    "4.5",
    "4,5",
    "1e309",
    "-1e-309",
    "1E+2",
    "NaN",
    "-Infinity",
    "sNaN",
    "0x10",
    "1_000",
    "9" * 40,
    "٤",  # an Arabic-Indic four
    "४.५",  # Devanagari
    "½",
    "None",
    "null",
    "true",
    "[]",
    "{}",
    "<script>alert(1)</script>",
    "' OR '1'='1' --",
    "%00",
    "../../etc/passwd",
    "\u202egnp.exe",
    "\ufeffyes",
    "yes ",
    "YES",
    "🦴" * 10,
    "\r\n\t",
    "(01)00812345678901(17)281231(10)LOT123(21)SN456",
    "\x1d01008123456789011728123110LOT",
    "]C1",
    "]",
]
# Surrogates included: the urlencoded body carries them as invalid UTF-8; the multipart one
# (which cannot) gets them replaced, as a browser would.
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=40)
NUMBERS = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(),
    st.decimals(allow_nan=True, allow_infinity=True),
).map(str)
LONG = st.integers(min_value=1990, max_value=2100).map(lambda n: "é" * n)
NASTY = st.one_of(st.sampled_from(EDGE_STRINGS), ANY_TEXT, NUMBERS, LONG)
OMITTED = object()


def field(*plausible: Any) -> st.SearchStrategy:
    """A field: left out, a plausible value, something nasty, or several values at once."""
    good = st.sampled_from([str(value) for value in plausible]) if plausible else NASTY
    return st.one_of(
        st.just(OMITTED),
        good,
        good,
        NASTY,
        st.lists(st.one_of(good, NASTY), min_size=2, max_size=3),
    )


def forms(**fields: st.SearchStrategy) -> st.SearchStrategy[dict[str, Any]]:
    """A form's fields as generated (``OMITTED`` ones left out when sent), plus, sometimes,
    fields nobody asked for."""
    known = st.fixed_dictionaries(fields)
    extra = st.dictionaries(
        st.sampled_from(["id", "case", "status", "actor", "pk", "version", "csrfmiddlewaretoken"])
        | ANY_TEXT.filter(bool),
        NASTY,
        max_size=2,
    )
    return st.builds(lambda known, extra: {**extra, **known}, known, extra)


@dataclass(frozen=True)
class Body:
    """What is POSTed: generated fields, or a valid form with a few generated fields over it
    (``mutations``; ``None`` for the generated fields alone), in one of three encodings."""

    generated: dict[str, Any]
    encoding: str  # "multipart", "urlencoded" or "json"
    mutations: int | None

    def on(self, valid: dict[str, Any]) -> "Body":
        """The body to send, given the form a page would send for this request."""
        if self.mutations is None:
            return self
        data = {**valid}
        for name, value in list(self.generated.items())[: self.mutations]:
            data[name] = value
        return Body(data, self.encoding, None)

    @property
    def data(self) -> dict[str, Any]:
        return {name: value for name, value in self.generated.items() if value is not OMITTED}

    def last(self, name: str) -> str | None:
        """What a form reads for ``name`` (the last of repeated values), or None if not sent."""
        if self.encoding == "json" or name not in self.data:
            return None
        value = self.data[name]
        value = value[-1] if isinstance(value, list) else value
        return value.encode("utf-8", "replace").decode("utf-8")


def bodies(**fields: st.SearchStrategy) -> st.SearchStrategy[Body]:
    return st.builds(
        Body,
        forms(**fields),
        st.sampled_from(["multipart", "multipart", "urlencoded", "json"]),
        # None: the generated fields alone; else a valid form with that many of them over it.
        st.sampled_from([None, 0, 0, 1, 1, 2]),
    )


def no_surrogates(value: Any) -> Any:
    if isinstance(value, list):
        return [no_surrogates(item) for item in value]
    return value.encode("utf-8", "replace").decode("utf-8")


HTMX = st.sampled_from(
    [
        {},
        {"HX-Request": "true"},
        {"HX-Request": "true", "HX-Current-URL": "http://testserver/cases/1/", "HX-Target": "x"},
        {"HX-Request": "false"},
    ]
)
USER_AGENTS = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_categories=("Cc",)), max_size=400
)
CASE_NAMES = ["in_progress", "ready", "completed", "scheduled", "other", "unknown", "huge"]
WHO = st.sampled_from(["anonymous", *PERSONAS])


def mostly(common: list[str], everything: list[str]) -> st.SearchStrategy[str]:
    """One of ``common`` three times in four, else any of ``everything``: most examples then
    reach the code behind the permission check, and the rest prove the check itself."""
    return st.sampled_from(common * (3 * len(everything) // len(common)) + everything)


RECORDERS = mostly(["nurse", "scrub", "anaesthetist", "surgeon"], ["anonymous", *PERSONAS])
SIGNERS = mostly(["surgeon"], ["anonymous", *PERSONAS])
REVIEWERS = mostly(["reviewer", "administrator"], ["anonymous", *PERSONAS])
OPEN_CASES = mostly(["in_progress", "ready", "scheduled", "other"], CASE_NAMES)


def send(client: Client, url: str, body: Body, headers: dict[str, str]) -> Any:
    if body.encoding == "multipart":
        data = {no_surrogates(name): no_surrogates(value) for name, value in body.data.items()}
        return client.post(url, data, headers=headers)
    if body.encoding == "urlencoded":
        payload = urlencode(body.data, doseq=True, errors="surrogatepass")
        content_type = "application/x-www-form-urlencoded"
        return client.generic("POST", url, payload, content_type=content_type, headers=headers)
    payload = json.dumps(body.data)
    return client.generic("POST", url, payload, content_type="application/json", headers=headers)


def get(client: Client, url: str, params: dict[str, Any], headers: dict[str, str]) -> Any:
    params = {name: value for name, value in params.items() if value is not OMITTED}
    query = urlencode(params, doseq=True, errors="surrogatepass")
    response = client.get(f"{url}?{query}", headers=headers)
    if response.streaming:
        b"".join(response.streaming_content)  # an export fails while streaming, if at all
    return response


def client_for(world: World, who: str) -> Client:
    client = Client()
    if who != "anonymous":
        client.force_login(world.people[who])
    return client


def case_id(world: World, name: str) -> int:
    if name == "unknown":
        return world.unknown_case_id
    if name == "huge":
        return 2**70
    return getattr(world, name).pk


# --- what must hold ------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    events: int
    cases: dict[int, tuple[int, str]]  # id -> (version, status)
    implants: int
    actions: dict[str, int]


def snapshot() -> Snapshot:
    actions = AuditEvent.objects.values("action").annotate(n=Count("pk")).order_by()
    return Snapshot(
        events=AuditEvent.objects.count(),
        cases={pk: (v, s) for pk, v, s in Case.objects.values_list("pk", "version", "status")},
        implants=Implant.objects.count(),
        actions={row["action"]: row["n"] for row in actions},
    )


def check(response: Any, before: Snapshot, *, refused_signature: bool = False) -> None:
    after = snapshot()
    event(f"answered {response.status_code}")  # see pytest --hypothesis-show-statistics
    if after.events > before.events:
        event("wrote an audit event")
    assert response.status_code < 500, f"{response.status_code}: {response.content[:300]!r}"
    if refused_signature:
        # By design the refusal is kept: one event, and nothing else moves.
        assert response.status_code == 403
        assert after.events == before.events + 1
        assert after.actions.get(AuditAction.SIGNATURE_REFUSED, 0) == (
            before.actions.get(AuditAction.SIGNATURE_REFUSED, 0) + 1
        )
        assert (after.cases, after.implants) == (before.cases, before.implants)
        return
    if 400 <= response.status_code < 500:
        assert after == before, f"a refused request ({response.status_code}) changed something"
        return
    written = after.events - before.events
    assert written in (0, 1), f"{written} audit events for one request"
    moved = {
        pk: (after.cases[pk][0] - before.cases.get(pk, (0, ""))[0])
        for pk in after.cases
        if after.cases[pk] != before.cases.get(pk)
    }
    if written == 0:
        assert after == before, "a change without an audit event"
    else:
        assert list(moved.values()) == [1], f"one event, but versions moved: {moved}"


def assert_local_redirect(response: Any) -> None:
    if response.status_code in (301, 302, 303, 307, 308):
        target = urlsplit(response["Location"])
        assert not target.netloc or target.netloc == "testserver", response["Location"]
        assert target.scheme in ("", "http", "https"), response["Location"]


# --- the checklist ---------------------------------------------------------------------------

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


# --- people ----------------------------------------------------------------------------------


@FUZZ
@given(
    who=WHO,
    tablet=st.booleans(),
    person=st.sampled_from(["nurse", "surgeon", "reviewer", "unknown"]),
    body=bodies(
        person=field(0, -1, 10**12),
        username=field("nurse", "surgeon", "reviewer", "NURSE", "nurse\x00", "u" * 151),
        pin=field(PIN, "0000", "1234", "99999", "٢٥٨٠", "2580\x00", " 2580"),
        next=field("/cases/1/", "//evil.example/", "https://evil.example/", "javascript:alert(1)"),
    ),
    query_next=st.sampled_from(["", "?next=//evil.example/", "?next=/review/"]),
)
def test_switch_user_survives_anything(world, who, tablet, person, body, query_next):
    """On an enrolled tablet a person is chosen by id; anywhere else by username."""
    people = {"unknown": 10**9, **{p: world.people[p].pk for p in PERSONAS}}
    with rolled_back():
        client = client_for(world, who)
        if tablet:
            enrol_tablet(client, by=world.administrator)
            body = body.on({"person": str(people[person]), "pin": PIN})
        else:
            body = body.on({"username": person, "pin": PIN})
        before = snapshot()
        response = send(client, reverse("switch-user") + query_next, body, {})
        check(response, before)
        assert_local_redirect(response)
        if response.status_code == 302:  # only the right PIN of a PIN holder switches
            holders = {world.nurse.pk, world.surgeon.pk}
            assert int(client.session["_auth_user_id"]) in holders
            assert body.last("pin").strip() == PIN


@FUZZ
@given(
    who=st.sampled_from(PERSONAS),
    body=bodies(
        password=field(PASSWORD, "nope"),
        pin=field("2468", "1111", "1234", "12", "1234567", "٢٤٦٨"),
        pin_again=field("2468", "1111"),
    ),
)
def test_my_pin_survives_anything(world, who, body):
    user = world.people[who]
    valid = {"password": PASSWORD, "pin": "2468", "pin_again": "2468"}
    with rolled_back():
        client = client_for(world, who)
        pins_before = list(StaffProfile.objects.values_list("user", "pin_hash").order_by("pk"))
        before = snapshot()
        response = send(client, reverse("my-pin"), body.on(valid), {})
        check(response, before)
        pins_after = list(StaffProfile.objects.values_list("user", "pin_hash").order_by("pk"))
        if response.status_code != 302:
            assert pins_after == pins_before, "a refused PIN change changed a PIN"
        else:
            changed = {u for u, h in set(pins_after) - set(pins_before)}
            assert changed == {user.pk}, "someone else's PIN changed"


@FUZZ
@given(
    who=st.sampled_from(PERSONAS),
    body=bodies(
        old_password=field(PASSWORD, "nope", PASSWORD + " "),
        new_password1=field("Sacrum-Iliac-2031", "short", "password123", "٢٤٦٨" * 4),
        new_password2=field("Sacrum-Iliac-2031", "other-Iliac-2031"),
    ),
)
def test_password_change_survives_anything(world, who, body):
    user = world.people[who]
    new = "Sacrum-Iliac-2031"
    valid = {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    with rolled_back():
        client = client_for(world, who)
        hashes_before = dict(User.objects.values_list("pk", "password"))
        before = snapshot()
        response = send(client, reverse("password-change"), body.on(valid), {})
        check(response, before)
        hashes_after = dict(User.objects.values_list("pk", "password"))
        changed = {pk for pk in hashes_after if hashes_after[pk] != hashes_before[pk]}
        assert changed == ({user.pk} if response.status_code == 302 else set())


@FUZZ
@given(
    body=bodies(
        username=field("nurse", "surgeon", "NURSE", "nurse\x00", "admin"),
        password=field(PASSWORD, "wrong"),
        next=field("/cases/1/", "//evil.example/", "https://evil.example/x"),
    ),
    signed_in=st.booleans(),
)
def test_login_survives_anything(world, body, signed_in):
    with rolled_back():
        client = client_for(world, "nurse" if signed_in else "anonymous")
        before = snapshot()
        body = body.on({"username": "nurse", "password": PASSWORD})
        response = send(client, reverse("login"), body, {})
        check(response, before)
        assert_local_redirect(response)


# --- review ----------------------------------------------------------------------------------


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
