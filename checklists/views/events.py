"""A tablet's live updates: the event stream of its case (``checklists.live_push``), served by
the ASGI events server only; without one, the page polls ``case_version`` instead."""

from django.http import Http404
from django.http.response import HttpResponseBase
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts.http import AuthenticatedHttpRequest
from accounts.middleware import passive
from accounts.permissions import requires
from checklists import live_push


@passive  # a page listening, not a person: it must not keep an idle session alive
@never_cache
@requires("checklists.view_case")
@require_safe
async def case_events(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponseBase:
    """The case's version now and at each change, for a tablet showing the case."""
    if refused := live_push.unserved(request):
        return refused
    try:
        stream = await live_push.case_stream(case_id)
    except live_push.PushUnavailable:
        return live_push.unavailable()
    if stream is None:
        raise Http404("No such case.")
    return live_push.event_stream(stream)
