"""Logging filters (LOGGING in settings)."""

import logging
from http import HTTPStatus


class OneLineClientErrors(logging.Filter):
    """A refused request (4xx) logged by ``django.request`` becomes one line, without traceback.

    Django logs a PermissionDenied with its exception, so each 403 (a nurse opening the review
    pages, a stale admin link) wrote a full traceback: noise that buried real errors. The line
    keeps what a person needs to follow it up: status, method, path and the user's id. The path
    only: query strings may hold what someone typed, and the user's id, not their name.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        request = getattr(record, "request", None)
        if not isinstance(status, int) or not 400 <= status < 500 or request is None:
            return True
        user = getattr(request, "user", None)
        who = user.pk if user is not None and user.is_authenticated else "anonymous"
        # Escaped as Django escapes what it logs: a path cannot start a forged log line.
        path = request.path.encode("unicode_escape").decode("ascii")
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Client error"
        record.msg = "%s %s: %s %s (user %s)"
        record.args = (status, reason, request.method, path, who)
        record.exc_info = record.exc_text = None
        return True
