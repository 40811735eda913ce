"""An integration's token is the API's only way in: a missing, wrong, revoked or expired token
answers 401, a token without the scope 403, and none of them writes anything; a signed-in
person's session opens nothing; each token's calls are counted and throttled (429)."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from accounts import tokens
from accounts.choices import ApiScope
from accounts.models import ApiToken
from checklists.models import AuditEvent, Case, CaseStep, Implant, RecordAccess
from tests.api.conftest import IDENTITY, bearer, make_token, post_json

PROBLEM = "application/problem+json"


def calls(case, procedure, surgeon) -> list[tuple[str, str, dict | None]]:
    """One call of each operation: (method, URL, JSON body)."""
    step = f"/api/v1/cases/{case.pk}/steps/{case.steps.get(title=IDENTITY).pk}/"
    return [
        ("GET", "/api/v1/procedures/", None),
        ("GET", "/api/v1/cases/", None),
        ("GET", f"/api/v1/cases/{case.pk}/", None),
        (
            "POST",
            "/api/v1/cases/",
            {
                "procedure": procedure.pk,
                "patient_mrn": "MRN0099",
                "patient_name": "Alex Sample",
                "patient_birth_date": "1970-01-02",
                "laterality": "right",
                "surgeon": surgeon.pk,
                "room": "OR 3",
                "scheduled_start": "2026-12-01T08:00:00Z",
            },
        ),
        ("POST", step, {"status": "done", "revision": 0}),
        ("POST", f"/api/v1/cases/{case.pk}/implants/", {"product": "iFuse-3D", "lot": "L1"}),
    ]


def call(client: Client, method: str, url: str, body: dict | None, **kwargs):
    if method == "POST":
        return post_json(client, url, body or {}, **kwargs)
    return client.get(url, **kwargs)


def everything_written() -> tuple[int, ...]:
    return (
        Case.objects.count(),
        AuditEvent.objects.count(),
        RecordAccess.objects.count(),
        Implant.objects.count(),
        CaseStep.objects.exclude(status="pending").count(),
    )


@pytest.fixture
def refused_headers(administrator):
    """Each way of not having a valid token, by name: the headers it sends."""
    revoked, revoked_text = make_token(administrator, name="Old engine")
    tokens.revoke(token=revoked, by=administrator)
    expired, expired_text = make_token(administrator, name="Trial engine")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    return {
        "missing": {},
        "unknown": bearer("sit_0123abcd_" + "A" * 43),
        "malformed": bearer("not-a-token"),
        "another scheme": {"Authorization": "Basic bnVyc2U6VGhlYXRyZS00LWRlbW8="},
        "revoked": bearer(revoked_text),
        "expired": bearer(expired_text),
    }


@pytest.mark.parametrize(
    "way", ["missing", "unknown", "malformed", "another scheme", "revoked", "expired"]
)
def test_no_valid_token_answers_401_and_writes_nothing(
    way, refused_headers, case, procedure, surgeon
):
    before = everything_written()
    for method, url, body in calls(case, procedure, surgeon):
        response = call(Client(), method, url, body, headers=refused_headers[way])

        assert response.status_code == 401, (method, url)
        assert response["Content-Type"] == PROBLEM
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["status"] == 401
    assert everything_written() == before


def test_a_revoked_or_expired_token_says_why(refused_headers):
    revoked = Client().get("/api/v1/procedures/", headers=refused_headers["revoked"])
    expired = Client().get("/api/v1/procedures/", headers=refused_headers["expired"])

    assert revoked.json()["detail"] == "This token was revoked."
    assert expired.json()["detail"] == "This token has expired."


@pytest.mark.parametrize(
    ("scope", "allowed"),
    [
        (ApiScope.READ_CASES, {"/api/v1/procedures/", "GET /api/v1/cases/", "GET case"}),
        (ApiScope.IMPORT_SCHEDULE, {"/api/v1/procedures/", "POST /api/v1/cases/"}),
        (ApiScope.RECORD_STEPS, {"/api/v1/procedures/", "step", "implant"}),
    ],
)
def test_a_token_without_the_scope_answers_403_and_writes_nothing(
    scope, allowed, administrator, case, procedure, surgeon
):
    _, text = make_token(administrator, scopes=[scope])
    client = Client(headers=bearer(text))
    names = ["/api/v1/procedures/", "GET /api/v1/cases/", "GET case"]
    names += ["POST /api/v1/cases/", "step", "implant"]
    for name, (method, url, body) in zip(names, calls(case, procedure, surgeon), strict=True):
        if name in allowed:
            continue
        before = everything_written()

        response = call(client, method, url, body)

        assert response.status_code == 403, name
        assert response["Content-Type"] == PROBLEM
        assert scope.value not in response.json()["detail"]
        assert everything_written() == before, name


def test_a_signed_in_persons_session_opens_nothing(client, nurse, case):
    client.force_login(nurse)

    response = client.get(f"/api/v1/cases/{case.pk}/")

    assert response.status_code == 401
    assert not RecordAccess.objects.exists()


def test_a_token_needs_no_csrf_token(token, case):
    # Only the Authorization header authenticates: a forged cross-site form cannot send it.
    client = Client(enforce_csrf_checks=True, headers=bearer(token[1]))
    identity = case.steps.get(title=IDENTITY)

    response = post_json(
        client, f"/api/v1/cases/{case.pk}/steps/{identity.pk}/", {"status": "done", "revision": 0}
    )

    assert response.status_code == 200


def test_each_use_is_noted_at_most_once_a_minute(api, token):
    assert token[0].last_used_at is None

    api.get("/api/v1/procedures/")
    token[0].refresh_from_db()
    first = token[0].last_used_at
    api.get("/api/v1/procedures/")
    token[0].refresh_from_db()

    assert first is not None
    assert token[0].last_used_at == first
    ApiToken.objects.filter(pk=token[0].pk).update(
        last_used_at=first - datetime.timedelta(minutes=2)
    )
    api.get("/api/v1/procedures/")
    token[0].refresh_from_db()
    assert token[0].last_used_at > first


def test_calls_over_the_rate_answer_429_per_token(settings, api, administrator):
    settings.API_RATE = "3/minute"
    answers = [api.get("/api/v1/procedures/").status_code for _ in range(4)]
    _, other_text = make_token(administrator, name="Second engine")

    throttled = api.get("/api/v1/procedures/")
    other = Client(headers=bearer(other_text)).get("/api/v1/procedures/")

    assert answers == [200, 200, 200, 429]
    assert throttled.status_code == 429
    assert throttled["Content-Type"] == PROBLEM
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert throttled.json()["title"] == "Too Many Requests"
    assert other.status_code == 200  # counted per token


def test_the_secret_is_stored_only_as_its_hash(token):
    stored, text = token
    prefix, secret = text.removeprefix("sit_").split("_", 1)

    assert stored.prefix == prefix
    assert secret not in stored.secret_hash
    assert len(stored.secret_hash) == 64
    assert tokens.find(text) == stored
    assert tokens.find(f"sit_{prefix}_{'A' * 43}") is None


def test_the_service_user_cannot_sign_in_and_holds_its_scopes_permissions(administrator):
    stored, _ = make_token(administrator, scopes=[ApiScope.READ_CASES])
    user = stored.user

    assert not user.has_usable_password()
    visitor = Client()
    answer = visitor.post("/accounts/login/", {"username": user.username, "password": "x"})
    assert answer.status_code == 200  # the form again, not a redirect
    assert "_auth_user_id" not in visitor.session
    assert user.get_all_permissions() == {"checklists.view_case", "procedures.view_procedure"}
    assert not user.groups.exists()


def test_revoking_deactivates_the_service_user(token, administrator):
    tokens.revoke(token=token[0], by=administrator)

    token[0].user.refresh_from_db()
    assert not token[0].user.is_active
    assert token[0].revoked_by == administrator
