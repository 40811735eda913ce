import functools
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest


def roles(request: HttpRequest) -> dict[str, Callable[[], str]]:
    """The signed-in person's roles (their groups), for the header.

    Lazy (templates call a callable when they use it, cached here for a second use): an htmx
    fragment draws no header and so costs no query for it.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @functools.cache
    def user_roles() -> str:
        return ", ".join(user.groups.values_list("name", flat=True))

    return {"user_roles": user_roles}


def session_limits(request: HttpRequest) -> dict[str, int]:
    """The idle period, so the page can leave for the switch screen when the session would end."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"idle_seconds": settings.SESSION_IDLE_TIMEOUT}
