"""Calls per token, counted in the database (``CACHES["api_throttle"]``), so every web process
shares the count (DESIGN: no state in the web process). Over ``settings.API_RATE``: 429."""

from django.conf import settings
from django.core.cache import caches
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"

    def __init__(self) -> None:
        self.cache = caches["api_throttle"]
        super().__init__()

    def get_rate(self) -> str:
        return settings.API_RATE

    def get_cache_key(self, request: Request, view: object) -> str | None:
        token = request.auth
        if not isinstance(token, ApiToken):
            return None  # no token, nothing counted: such a request is refused anyway
        return self.cache_format % {"scope": self.scope, "ident": token.prefix}
