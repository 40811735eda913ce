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

import os

from gunicorn.http import wsgi

# A worker that has not answered within this many seconds is killed and restarted, its request
# lost. Every wait inside a request is bounded well below it: SQLite's busy timeout
# (sitracker/settings.py, SQLITE_BUSY_TIMEOUT, 5 s) turns a held lock into "Not saved, try again"
# (a 503) first. tests/site/test_database_settings.py keeps the two in step.
timeout = 30

# Two workers per core, of two threads each: bench/RESULTS-theatres.md measured 4 workers of 2
# threads on 2 cores holding four times the theatres that 2 workers of 4 threads held with live
# push (200 against 50), and as many polling (100): a request spends most of its time in Python,
# which one process runs on one core at a time. Threads, so that one request waiting for the
# database does not stall every page the worker serves. WEB_CONCURRENCY or --workers sets the
# workers (gunicorn's own default is one, which would leave a core idle).
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1))
threads = 2

_default_headers = wsgi.Response.default_headers


def _default_headers_without_server(self: wsgi.Response) -> list[str]:
    return [line for line in _default_headers(self) if not line.lower().startswith("server:")]


wsgi.Response.default_headers = _default_headers_without_server
