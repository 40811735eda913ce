"""Settings for ``make bench`` only: production settings, plus the bench URLconf (bare views).

Never used by the application itself. ``bench/load/`` sets DJANGO_SETTINGS_MODULE to this
module for gunicorn and for the commands that prepare the bench databases.
"""

import os

from sitracker.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# collectstatic writes here (a temporary directory): the manifest storage of DEBUG=0 needs it.
STATIC_ROOT = os.environ.get("SITRACKER_BENCH_STATIC_ROOT", STATIC_ROOT)  # noqa: F405

# The bench plays a TLS-terminating proxy: its clients send X-Forwarded-Proto, so whatever the
# production settings say about HTTPS (redirects, secure cookies) applies as it would in use.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Stand-ins for files collectstatic finds referenced but missing (bench/load/run.py says which,
# in RESULTS.md): the bench measures requests, and must not stop at a missing source map.
if os.environ.get("SITRACKER_BENCH_EXTRA_STATIC"):
    STATICFILES_DIRS = [*STATICFILES_DIRS, os.environ["SITRACKER_BENCH_EXTRA_STATIC"]]  # noqa: F405
