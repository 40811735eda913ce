"""What a token may do: one DRF permission per scope (``accounts.choices.ApiScope``).

A token without the scope an endpoint needs gets 403 and nothing is written. The workflow then
checks its service user's permissions as it checks a person's (``accounts.tokens``).
"""

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.choices import ApiScope
from accounts.models import ApiToken


class Scoped(BasePermission):
    scope: ApiScope

    def has_permission(self, request: Request, view: object) -> bool:
        token = request.auth
        return isinstance(token, ApiToken) and self.scope in token.scopes()

    @property
    def message(self) -> str:
        return f"This token does not have the scope “{self.scope.value}” ({self.scope.label})."


class AnyScope(BasePermission):
    """Reference data (the procedures) any integration's token may read."""

    def has_permission(self, request: Request, view: object) -> bool:
        return isinstance(request.auth, ApiToken)


class ReadsCases(Scoped):
    scope = ApiScope.READ_CASES


class ImportsSchedule(Scoped):
    scope = ApiScope.IMPORT_SCHEDULE


class RecordsSteps(Scoped):
    scope = ApiScope.RECORD_STEPS
