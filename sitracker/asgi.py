"""The ASGI application, served by the live-updates events server only
(deploy/systemd/sitracker-events.service): the pages themselves are served by gunicorn's
threads through sitracker.wsgi. It can serve every page (the tests' events server does), but it
is built for the event streams of checklists.live_push."""

import os

# No persistent database connections under ASGI (Django's advice): each request's synchronous
# code runs in a thread of its own, whose connection would otherwise stay open after it.
os.environ["DATABASE_CONN_MAX_AGE"] = "0"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sitracker.settings")

from django.core.asgi import get_asgi_application

application = get_asgi_application()
