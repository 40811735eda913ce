"""The real URLconf plus two bare views, the yardstick of the load benchmarks.

The bare views pass through the same middleware as every page (session, CSRF, login required,
session limits) and do nothing else, so "step POST / bare POST" measures the application's own
work. Served only under ``bench.settings``; never part of the production URLs.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_POST, require_safe

from sitracker.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


@require_safe
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


@require_POST
def bare_post(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [
    path("bench/bare/", bare, name="bench-bare"),
    path("bench/bare-post/", bare_post, name="bench-bare-post"),
    *urlpatterns,
]
