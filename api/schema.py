"""The OpenAPI schema's shared parts: the token's security scheme, and the problems each
operation may answer (documented, so a client and the schemathesis run hold us to them)."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from api.problems import PROBLEM_JSON, ProblemSerializer

# Every operation: no token or a bad one (401), a scope missing (403), too many calls (429).
ALWAYS = (401, 403, 429)


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An integration's token (sit_...), made by an administrator.",
        }


def answers(ok: dict[int, Any], *problems: int) -> dict[Any, Any]:
    """An operation's responses: ``ok`` (status to serializer) and ``problems``, each an
    RFC 9457 problem document."""
    statuses = sorted({*problems, *ALWAYS})
    return {**ok, **{(status, PROBLEM_JSON): ProblemSerializer for status in statuses}}
