"""Administrators make an integration's token in the admin (shown once, kept hashed), change
its scopes and expiry, and revoke it; nobody deletes one."""

import hashlib
import re

from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from accounts import tokens
from accounts.choices import ApiScope
from accounts.models import ApiToken
from tests.api.conftest import bearer, make_token

ADD = "/admin/accounts/apitoken/add/"
CHANGELIST = "/admin/accounts/apitoken/"


def add_form(**fields) -> dict:
    tomorrow = timezone.localtime() + timezone.timedelta(days=1)
    return {
        "name": "Theatre scheduling",
        "read_cases": "on",
        "expires_at_0": tomorrow.date().isoformat(),
        "expires_at_1": "08:00:00",
        **fields,
    }


def test_adding_a_token_shows_it_once_and_keeps_its_hash(administrator_client, administrator):
    response = administrator_client.post(ADD, add_form(), follow=True)

    [message] = [str(m) for m in get_messages(response.wsgi_request) if "sit_" in str(m)]
    text = re.search(r"sit_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", message)[0]
    token = ApiToken.objects.get()
    assert token.name == "Theatre scheduling" and token.created_by == administrator
    assert token.scopes() == {ApiScope.READ_CASES}
    secret = tokens.TOKEN_FORMAT.fullmatch(text)["secret"]
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert Client(headers=bearer(text)).get("/api/v1/cases/").status_code == 200
    # Never again: the token's page shows its prefix, not the token.
    page = administrator_client.get(f"/admin/accounts/apitoken/{token.pk}/change/").content
    assert token.prefix.encode() in page and secret.encode() not in page


def test_changing_the_scopes_changes_what_the_token_may_do(administrator_client, administrator):
    token, text = make_token(administrator, scopes=[ApiScope.READ_CASES])
    fields = add_form(name="Theatre engine", read_cases="", record_steps="on")

    administrator_client.post(f"/admin/accounts/apitoken/{token.pk}/change/", fields)

    token.refresh_from_db()
    assert token.scopes() == {ApiScope.RECORD_STEPS}
    assert token.user.get_all_permissions() == {"checklists.record_step"}
    assert token.user.first_name == "Theatre engine"
    assert Client(headers=bearer(text)).get("/api/v1/cases/").status_code == 403


def test_the_revoke_action_shuts_the_token_out(administrator_client, administrator):
    token, text = make_token(administrator)

    administrator_client.post(
        CHANGELIST, {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )

    token.refresh_from_db()
    assert token.revoked_by == administrator
    assert Client(headers=bearer(text)).get("/api/v1/procedures/").status_code == 401


def test_nobody_deletes_a_token(administrator_client, administrator):
    token, _ = make_token(administrator)

    response = administrator_client.get(f"/admin/accounts/apitoken/{token.pk}/delete/")

    assert response.status_code == 403


def test_the_changelist_reads_a_fixed_number_of_queries(
    administrator_client, administrator, django_assert_max_num_queries
):
    for number in range(5):
        make_token(administrator, name=f"Engine {number}")

    with django_assert_max_num_queries(12):
        response = administrator_client.get(CHANGELIST)

    assert response.status_code == 200


def test_a_tokens_service_user_is_not_in_the_people_admin(administrator_client, administrator):
    token, _ = make_token(administrator)

    listed = administrator_client.get("/admin/auth/user/")
    page = administrator_client.get(f"/admin/auth/user/{token.user.pk}/change/")

    assert token.user.username.encode() not in listed.content
    assert page.status_code == 302  # the admin's "not found": back to the list
