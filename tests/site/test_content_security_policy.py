"""The Content Security Policy and the headers around it, and pages that need nothing looser.

The browser tests prove htmx, Chart.js and the admin run under the policy (a CSP violation
fails them, see tests/browser/conftest.py); these tests read the header and the markup.
"""

import json
from html.parser import HTMLParser

import pytest
from django.test import Client

from checklists import workflow
from tests.conftest import PASSWORD, make_case, make_procedure, record

POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}


def policy_of(response) -> dict[str, list[str]]:
    directives = [part.split() for part in response["Content-Security-Policy"].split(";")]
    return {name: sources for name, *sources in directives}


@pytest.fixture
def case(nurse, surgeon):
    procedure = make_procedure(
        {"title": "Identity confirmed", "hard_stop": True}, {"title": "Closed"}
    )
    return make_case(procedure, actor=nurse, surgeon=surgeon)


@pytest.fixture
def signed(nurse, surgeon):
    procedure = make_procedure({"title": "Only step"}, title="Signed", slug="signed")
    case = make_case(procedure, actor=nurse, surgeon=surgeon)
    record(case, "Only step", nurse)
    workflow.sign_out(actor=surgeon, case_id=case.pk, password=PASSWORD)
    return case


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def pages(case, signed, people) -> list[tuple[object, str]]:
    """(who, URL) for every kind of page: ours, htmx fragments' hosts, errors, the admin."""
    nurse, surgeon, reviewer, administrator = people
    return [
        (None, "/accounts/login/"),
        (None, "/switch/"),
        (nurse, "/"),
        (nurse, "/cases/new/"),
        (nurse, f"/cases/{case.pk}/"),
        (surgeon, f"/cases/{case.pk}/sign-out/"),
        (nurse, "/accounts/pin/"),
        (nurse, "/accounts/password/"),
        (nurse, "/no-such-page/"),
        (nurse, "/review/"),  # 403 page
        (reviewer, "/review/"),
        (reviewer, f"/review/{signed.pk}/"),
        (reviewer, "/review/dashboard/"),
        (administrator, "/admin/"),
        (administrator, "/admin/checklists/auditevent/"),  # a changelist without bulk actions
        (administrator, "/admin/procedures/procedure/"),
        (administrator, f"/admin/procedures/procedure/{case.procedure_id}/change/"),
        (administrator, "/admin/auth/user/add/"),
    ]


@pytest.fixture
def every_page(case, signed, nurse, surgeon, reviewer, administrator):
    return pages(case, signed, (nurse, surgeon, reviewer, administrator))


def test_every_page_carries_the_policy_and_its_companion_headers(every_page):
    for user, url in every_page:
        response = client_for(user).get(url)

        assert policy_of(response) == POLICY, url
        assert response["X-Frame-Options"] == "DENY", url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] == "same-origin", url
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", url


def test_scripts_may_never_be_inline_or_evaluated(client, db):
    sources = policy_of(client.get("/accounts/login/"))["script-src"]

    assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources
    assert not any(source.startswith(("'nonce-", "'sha", "http", "*")) for source in sources)


def test_an_htmx_answer_carries_the_policy_too(client, nurse, case):
    client.force_login(nurse)
    step = case.steps.get(title="Identity confirmed")

    response = client.post(
        f"/cases/{case.pk}/steps/{step.pk}/",
        {"status": "done", "revision": step.revision},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert policy_of(response) == POLICY


class InlineCode(HTMLParser):
    """Collects what a policy without 'unsafe-inline' would block, and the htmx-config tags."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.htmx_configs: list[dict] = []
        self._script_src: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action") and (value or "").strip().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}=javascript:...>")
        if tag == "style":
            self.found.append("<style>")
        if tag == "script":
            # JSON data (json_script) is not run; anything else must come from a file.
            data = values.get("type") == "application/json"
            self._script_src = "" if data else values.get("src")
        if tag == "meta" and values.get("name") == "htmx-config":
            self.htmx_configs.append(json.loads(values["content"]))

    def handle_data(self, data: str) -> None:
        if self._script_src is None and data.strip() and self.lasttag == "script":
            self.found.append(f"<script>{data.strip()[:40]}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script_src = None


def inspect(response) -> InlineCode:
    parser = InlineCode()
    parser.feed(response.content.decode())
    return parser


def test_no_page_needs_inline_script_or_style(every_page):
    for user, url in every_page:
        response = client_for(user).get(url)

        assert response.status_code < 500, url
        assert inspect(response).found == [], url


def test_each_page_has_one_htmx_config_without_inline_styles_or_eval(every_page):
    for user, url in every_page:
        if url.startswith("/admin/"):
            continue  # the admin does not load htmx
        response = client_for(user).get(url)

        [config] = inspect(response).htmx_configs
        assert config["includeIndicatorStyles"] is False, url
        assert config["allowEval"] is False, url


def test_the_checklist_keeps_its_response_handling_in_that_one_config(client, nurse, case):
    client.force_login(nurse)

    [config] = inspect(client.get(f"/cases/{case.pk}/")).htmx_configs

    assert {"code": "409|422", "swap": True, "error": False} in config["responseHandling"]
    assert config["historyCacheSize"] == 0
