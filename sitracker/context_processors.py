import functools
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest

from accounts.middleware import idle_limits


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
    """The idle period and what is left of it, so the page can count down its last minute and
    leave for the switch screen, keeping what was typed, when the session ends."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return idle_limits(request)


def live_push(request: HttpRequest) -> dict[str, bool]:
    """Whether pages follow their live updates' event streams (``settings.LIVE_PUSH``) or poll."""
    return {"live_push": settings.LIVE_PUSH}
