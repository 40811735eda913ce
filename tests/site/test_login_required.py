"""Every page needs a login, except the few that are public on purpose.

The URLconf is walked, admin included, so a view added later without login protection fails
here without anyone having to remember to write a test for it.
"""

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils.regex_helper import normalize

# Public by intent. Static files are served outside the URLconf (runserver, WhiteNoise).
# switch-user is the shared tablet's lock screen: the next person signs in there with a PIN.
# The API's schema holds no data: integrators read it before they have a token.
PUBLIC = {"login", "healthz", "admin:login", "switch-user", "api:schema"}
# A room's wall display signs in with its device token, never a person's login: its pages
# refuse (403) any browser that is not the room's enrolled display (tests/wall/).
DISPLAY_ONLY = {"wall-pair", "wall-display", "wall-display-live", "wall-display-events"}
# The REST API signs in with an integration's token, never a person's login or session: it
# answers 401 to anyone without one (tests/api/test_tokens.py).
TOKEN_ONLY = {
    "api:procedure-list",
    "api:case-list",
    "api:case-detail",
    "api:step-record",
    "api:implant-add",
    "api:schedule-import",
    "fhir:metadata",  # FHIR's read-only resources (api.fhir), with the same tokens
    "fhir:case-bundle",
    "fhir:questionnaire",
    "fhir:questionnaire-response",
    "fhir:procedure",
    "fhir:device",
    "fhir:provenance",
}
LOGIN_URL = "/accounts/login/"
ADMIN_LOGIN_URL = "/admin/login/"

# Plausible values for path converters and regex groups: an id, a word, a UUID, an app label.
SAMPLE_VALUES = [
    "1",
    "x",
    "00000000-0000-4000-8000-000000000001",
    *(config.label for config in apps.get_app_configs()),
]


@dataclass(frozen=True)
class Endpoint:
    route: str  # the concatenated patterns, for test ids and messages
    name: str  # namespaced ("admin:index"), or "" for an unnamed pattern
    callback: Any
    parts: tuple[Any, ...]  # the pattern of each level, root first


def endpoints(resolver: URLResolver, parents: tuple = (), namespaces: tuple = ()) -> Iterator:
    for entry in resolver.url_patterns:
        parts = (*parents, entry.pattern)
        if isinstance(entry, URLResolver):
            inner = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from endpoints(entry, parts, inner)
        elif isinstance(entry, URLPattern):
            name = ":".join((*namespaces, entry.name)) if entry.name else ""
            route = "".join(str(part) for part in parts)
            yield Endpoint(route, name, entry.callback, parts)


def templates(pattern: Any) -> list[tuple[str, list[str]]]:
    """A pattern as %-format strings with their parameter names."""
    if isinstance(pattern, RoutePattern):
        names = re.findall(r"<(?:\w+:)?(\w+)>", str(pattern))
        text = re.sub(r"<(?:\w+:)?(\w+)>", r"%(\1)s", str(pattern).replace("%", "%%"))
        return [(text, names)]
    if isinstance(pattern, RegexPattern):
        return normalize(str(pattern))
    raise AssertionError(f"Unknown URL pattern type {type(pattern).__name__}: {pattern}")


def build_url(endpoint: Endpoint) -> str:
    """A URL that resolves to ``endpoint``, its parameters filled with plausible values."""
    for shapes in itertools.product(*(templates(part) for part in endpoint.parts)):
        params = sorted({name for _, names in shapes for name in names})
        for values in itertools.product(SAMPLE_VALUES, repeat=len(params)):
            filled = dict(zip(params, values, strict=True))
            url = "/" + "".join(text % filled for text, _ in shapes)
            try:
                match = resolve(url)
            except Resolver404:  # a value the pattern refuses: try the next one
                continue
            if match.func is endpoint.callback:
                return url
    raise AssertionError(
        f"No URL could be built for {endpoint.route!r}: add a value its converters accept to "
        "SAMPLE_VALUES in this test."
    )


ENDPOINTS = list(endpoints(get_resolver()))
NOT_A_LOGIN = PUBLIC | DISPLAY_ONLY | TOKEN_ONLY
PROTECTED = [endpoint for endpoint in ENDPOINTS if endpoint.name not in NOT_A_LOGIN]


def test_the_walk_reaches_our_pages_and_the_admin():
    names = {endpoint.name for endpoint in ENDPOINTS}
    assert {"home", "login", "logout", "healthz", "admin:index", "admin:auth_user_change"} <= names


def test_only_the_public_pages_opt_out_of_the_login():
    opted_out = {
        endpoint.route
        for endpoint in ENDPOINTS
        if getattr(endpoint.callback, "login_required", True) is False
        and endpoint.name not in NOT_A_LOGIN
    }
    assert not opted_out, "Login must not be switched off for these views"


@pytest.mark.parametrize("endpoint", PROTECTED, ids=lambda endpoint: endpoint.route)
def test_an_anonymous_visitor_is_sent_to_the_login(client, db, endpoint):
    url = build_url(endpoint)

    response = client.get(url)

    assert response.status_code == 302, f"GET {url} answered {response.status_code}"
    target = urlsplit(response["Location"])
    login_urls = {LOGIN_URL, ADMIN_LOGIN_URL} if url.startswith("/admin/") else {LOGIN_URL}
    assert target.path in login_urls, f"GET {url} redirected to {response['Location']}"
    assert target.query.startswith("next=")


@pytest.mark.parametrize("name", sorted(PUBLIC - {"admin:login"}))
def test_a_public_page_answers_without_a_login(client, db, name):
    endpoint = next(endpoint for endpoint in ENDPOINTS if endpoint.name == name)

    assert client.get(build_url(endpoint)).status_code == 200


@pytest.mark.parametrize("name", sorted(TOKEN_ONLY))
def test_the_apis_endpoints_refuse_an_anonymous_visitor_with_401(client, db, name):
    endpoint = next(endpoint for endpoint in ENDPOINTS if endpoint.name == name)

    response = client.get(build_url(endpoint))

    assert response.status_code == 401
    # FHIR's refusals are its own OperationOutcomes; the REST API's, RFC 9457 problems.
    fhir = name.startswith("fhir:")
    assert response["Content-Type"] == (
        "application/fhir+json; charset=utf-8" if fhir else "application/problem+json"
    )


@pytest.mark.parametrize("name", ["wall-display", "wall-display-live"])
def test_a_wall_displays_pages_refuse_an_anonymous_visitor(client, db, name):
    response = client.get(reverse(name, kwargs={"room_id": 1}))

    assert response.status_code == 403
