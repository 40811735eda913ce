"""The requests our views receive, as mypy should see them (type hints only, no behaviour).

django-htmx's middleware gives every request ``request.htmx``, and every view but the public
ones (marked ``login_not_required``) is reached only by a signed-in person: Django's
LoginRequiredMiddleware refuses everyone else. A plain ``HttpRequest`` says neither, so views
annotate their request with one of these, as django-htmx and django-stubs recommend.
"""

from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """Any request that went through django-htmx's HtmxMiddleware (all of ours)."""

    htmx: HtmxDetails


class AuthenticatedHttpRequest(HtmxHttpRequest):
    """A request from a signed-in person: a view behind LoginRequiredMiddleware."""

    user: User
