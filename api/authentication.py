"""The API's one way in: an integration's token (``accounts.tokens``), as a Bearer token.

No session authentication: a browser's cookies open nothing here, so there is no CSRF to
guard against. A token that is missing, unknown, revoked or expired answers 401.
"""

from django.utils import timezone
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from accounts import tokens
from accounts.models import ApiToken


class ApiTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer sit_...``: the request acts as the token's service user."""

    def authenticate(self, request: Request) -> tuple[object, ApiToken] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None  # DRF answers 401 "not authenticated", naming the scheme
        kind, _, text = header.partition(" ")
        if kind.lower() != "bearer" or not text.strip():
            raise AuthenticationFailed("Send the token as “Authorization: Bearer <token>”.")
        token = tokens.find(text.strip())
        if token is None:
            raise AuthenticationFailed("That token is not known here.")
        now = timezone.now()
        refused = tokens.refusal(token, now=now)
        if refused:
            raise AuthenticationFailed(refused)
        tokens.touch(token, now=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="SI Tracker API"'
