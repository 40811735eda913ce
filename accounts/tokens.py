"""Integrations' API tokens (``ApiToken``): making one, finding the one a request carries,
revoking it, and the permissions its scopes give its service user.

A token reads ``sit_<prefix>_<secret>``: the prefix (8 hex digits) finds the row and may show
in the admin and in logs; the secret (256 random bits) is kept only as its SHA-256, compared in
constant time. The token is shown once, when it is made. Each token acts as its own service
user (see ``ApiToken``): the workflow checks that user's permissions as it checks a person's,
and those follow the token's scopes (``SCOPE_PERMISSIONS``), so the scope the API checks and
the permission the workflow checks cannot disagree.
"""

import datetime
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.models import Permission, User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.choices import ApiScope
from accounts.models import ApiToken

TOKEN_FORMAT = re.compile(r"sit_(?P<prefix>[0-9a-f]{8})_(?P<secret>[A-Za-z0-9_-]{43})")
# Writing the last use on every request would cost a write per call; a minute is plenty.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)

# What each scope lets the token's service user do, as Django permissions: the workflow checks
# these (``checklists.workflow.common.require_permission``), the API checks the scope first.
SCOPE_PERMISSIONS: dict[ApiScope, frozenset[str]] = {
    ApiScope.READ_CASES: frozenset({"checklists.view_case", "procedures.view_procedure"}),
    ApiScope.IMPORT_SCHEDULE: frozenset({"checklists.add_case", "procedures.view_procedure"}),
    ApiScope.RECORD_STEPS: frozenset({"checklists.record_step"}),
}


def issue(
    *, name: str, scopes: Iterable[ApiScope], expires_at: datetime.datetime, by: User
) -> tuple[ApiToken, str]:
    """Make a token for the integration ``name``, with its service user; return the token and
    the text the integration must keep (shown once: only its secret's hash is stored)."""
    prefix, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
    wanted = set(scopes)
    with transaction.atomic():
        user = User.objects.create_user(username=f"api-{prefix}")  # no password: no login
        token = ApiToken(
            name=name,
            expires_at=expires_at,
            prefix=prefix,
            secret_hash=_hash(secret),
            user=user,
            created_by=by,
            created_at=timezone.now(),
            **{scope.value: scope in wanted for scope in ApiScope},
        )
        token.save()
        follow_token(token)
        _log(token, by=by, action=ADDITION, message=f"Made for “{name}”.")
    return token, f"sit_{prefix}_{secret}"


def follow_token(token: ApiToken) -> None:
    """Give the token's service user its name and exactly its scopes' permissions (after the
    token was made or changed in the admin)."""
    user = token.user
    user.first_name, user.last_name = token.name, "(API)"
    user.is_active = token.is_active
    user.save(update_fields=["first_name", "last_name", "is_active"])
    names = set().union(*(SCOPE_PERMISSIONS[scope] for scope in token.scopes()))
    wanted = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".")
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    user.user_permissions.set(Permission.objects.filter(wanted))


def find(text: str) -> ApiToken | None:
    """The token ``text`` is, with its user (revoked or expired too: the caller says why it
    is refused), or None when it is no token of ours."""
    match = TOKEN_FORMAT.fullmatch(text)
    if match is None:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=match["prefix"]).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(match["secret"])):
        return None
    return token


def refusal(token: ApiToken, *, now: datetime.datetime) -> str:
    """Why ``token`` no longer lets anyone in ("" when it does)."""
    if not token.is_active:
        return "This token was revoked."
    if token.expires_at <= now:
        return "This token has expired."
    if not token.user.is_active:
        return "This token's service user was deactivated."
    return ""


def touch(token: ApiToken, *, now: datetime.datetime) -> None:
    """Note that the token was used now (at most once a minute: one small write)."""
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def revoke(*, token: ApiToken, by: User) -> None:
    """Revoke ``token``: it no longer lets anyone in, and its service user is made inactive.
    A revoked token stays so."""
    with transaction.atomic():
        changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=by
        )
        token.refresh_from_db()
        if changed:
            follow_token(token)
            _log(token, by=by, action=CHANGE, message="Revoked.")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _log(token: ApiToken, *, by: User, action: int, message: str) -> None:
    LogEntry.objects.log_actions(
        user_id=by.pk,
        queryset=[token],
        action_flag=action,
        change_message=message,
        single_object=True,
    )
