"""What every page needs from review: the signed-in person's running emergency accesses, for the
banner base.html shows while one lasts."""

import functools
from collections.abc import Callable

from django.http import HttpRequest

from review import emergency
from review.models import EmergencyAccess


def emergency_access(request: HttpRequest) -> dict[str, Callable[[], list[EmergencyAccess]]]:
    """Lazy, like ``sitracker.context_processors.roles``: only a page that draws the header asks
    (one query, and none for a reviewer, whose role opens every record anyway)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @functools.cache
    def grants() -> list[EmergencyAccess]:
        if not emergency.needs_emergency_access(user):
            return []
        return emergency.active_grants(user)

    return {"emergency_grants": grants}
