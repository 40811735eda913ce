"""The API's personas: an integration's token (all scopes, or fewer), and a small procedure
whose steps cover the answers' rules (a hard stop, a number with bounds, an implant step)."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from accounts import tokens
from accounts.choices import ApiScope
from tests.conftest import make_case, make_procedure

INTEGRATION = "Theatre engine"
IDENTITY = "Identity confirmed"
INCISION = "Incision length"
IMPLANTS = "Implants placed"


def make_token(by, *, scopes=tuple(ApiScope), name: str = INTEGRATION, days: int = 30):
    """A token as the admin makes it: (the token, the text the integration keeps)."""
    expires_at = timezone.now() + datetime.timedelta(days=days)
    return tokens.issue(name=name, scopes=scopes, expires_at=expires_at, by=by)


def bearer(text: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {text}"}


@pytest.fixture
def token(administrator):
    """A token with every scope: (the token, its text)."""
    return make_token(administrator)


@pytest.fixture
def api(token) -> Client:
    """A client that sends the token with every request, and no session cookie."""
    return Client(headers=bearer(token[1]))


@pytest.fixture
def procedure(db):
    return make_procedure(
        {"title": IDENTITY, "phase": "sign_in", "hard_stop": True},
        {"title": INCISION, "kind": "number", "unit": "cm", "min_value": 3, "max_value": 5},
        {"title": IMPLANTS, "kind": "implants", "required": False},
    )


@pytest.fixture
def case(procedure, nurse, surgeon):
    return make_case(procedure, actor=nurse, surgeon=surgeon)


def post_json(client: Client, url: str, data: dict, **kwargs):
    return client.post(url, data, content_type="application/json", **kwargs)
