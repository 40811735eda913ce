"""The fuzz tests' machinery (``test_fuzz_*.py``): every form and every POST endpoint, fed
whatever Hypothesis can think of.

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

from django.db.models import Count
from django.test import Client
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st

from checklists.choices import AuditAction
from checklists.models import AuditEvent, Case, Implant
from tests.examples import examples
from tests.security.conftest import PERSONAS, World

FUZZ = settings(
    max_examples=examples(200),
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
