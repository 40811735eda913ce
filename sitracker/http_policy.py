"""Site-wide answers about HTTP itself: which methods the site takes, what the browser may use,
and what it may keep.

Each policy is one middleware, so that each is stated once for every page, the admin included,
instead of on each view (MIDDLEWARE in settings says where each one runs).
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils.cache import patch_cache_control

# No page sends anything else; OPTIONS stays for clients that ask what a URL allows.
ALLOWED_METHODS = ("GET", "HEAD", "POST", "OPTIONS")


class AllowedMethodsMiddleware:
    """405 for any method no page uses (PUT, PATCH, DELETE, TRACE, ...), before any view runs.

    Views still refuse the methods they do not take among these four (a GET on a POST-only
    action is the view's own 405); this answers, in one place, the ones no view takes, so that
    the admin and Django's own views cannot answer them with a page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ALLOWED_METHODS:
            return HttpResponseNotAllowed(ALLOWED_METHODS)
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """Tell the browser which of its powerful features the pages may use: none of them
    (``settings.PERMISSIONS_POLICY``), so injected content could not turn them on either."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(allowed)})"
            for feature, allowed in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", self.header)
        return response


class NoStoreWhenSignedInMiddleware:
    """``Cache-Control: no-store, private`` on every answer to a signed-in person.

    A shared tablet's back button, its browser cache and any proxy on the way must not keep a
    page that was meant for the person signed in then: patient identity, names, who ticked what.
    A view that set its own Cache-Control keeps it (never_cache is stricter still; the live-sync
    poll's ETag and 304 are its own). Anonymous pages (the login, the switch screen, errors)
    set theirs where it matters, and static files never reach this middleware (WhiteNoise
    answers them first).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # After the view: a login or a switch during this request counts as signed in.
        if request.user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True, private=True)
        return response
