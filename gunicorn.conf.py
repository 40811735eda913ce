"""gunicorn's configuration for SI Tracker (README: "In production"). Flags on the command line
override its settings (bench/load sets its own).

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

# A worker that has not answered within this many seconds is killed and restarted, its request
# lost. Every wait inside a request is bounded well below it: SQLite's busy timeout
# (sitracker/settings.py, SQLITE_BUSY_TIMEOUT, 5 s) turns a held lock into "Not saved, try again"
# (a 503) first. tests/site/test_database_settings.py keeps the two in step.
timeout = 30

# Threads, so that one request waiting for the database does not stall every page the worker
# serves: the board stays quick while a write waits. The configuration bench/RESULTS.md measured
# (2 workers of 4 threads); set the workers with WEB_CONCURRENCY or --workers.
threads = 4

_default_headers = wsgi.Response.default_headers


def _default_headers_without_server(self: wsgi.Response) -> list[str]:
    return [line for line in _default_headers(self) if not line.lower().startswith("server:")]


wsgi.Response.default_headers = _default_headers_without_server
