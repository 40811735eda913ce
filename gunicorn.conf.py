"""gunicorn's configuration for SI Tracker (README: "In production").

gunicorn reads ``./gunicorn.conf.py`` from the directory it starts in; the README's command
names it anyway (``--config gunicorn.conf.py``), so it is used wherever gunicorn starts.

No ``Server`` header. gunicorn writes ``Server: gunicorn`` before the application's headers
and has no setting to leave it out (benoitc/gunicorn#825). Telling every scanner on the hospital
network which server answers helps nobody who runs the service, so the line is dropped here,
from the one method that writes it for HTTP/1.x (HTTP/2, not enabled here, writes its own).
tests/site/test_gunicorn.py starts gunicorn with this file and reads the headers, so a gunicorn
release that changes this method fails the test instead of sending the header again.
"""

from gunicorn.http import wsgi

_default_headers = wsgi.Response.default_headers


def _default_headers_without_server(self: wsgi.Response) -> list[str]:
    return [line for line in _default_headers(self) if not line.lower().startswith("server:")]


wsgi.Response.default_headers = _default_headers_without_server
