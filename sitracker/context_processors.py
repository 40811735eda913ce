from django.conf import settings
from django.http import HttpRequest


def roles(request: HttpRequest) -> dict[str, str]:
    """The signed-in person's roles (their groups), for the header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"user_roles": ", ".join(user.groups.values_list("name", flat=True))}


def session_limits(request: HttpRequest) -> dict[str, int]:
    """The idle period, so the page can leave for the switch screen when the session would end."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"idle_seconds": settings.SESSION_IDLE_TIMEOUT}
