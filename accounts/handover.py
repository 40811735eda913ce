"""A shared tablet passed from hand to hand: who switched in on it with a PIN, who handed it
over, and giving it back once the person it was handed to has done their part.

The surgeon takes the nurse's tablet to sign a case. Left as it was, the tablet would stay
signed in as the surgeon, and the next case's ticks would be hers. So a person who came in
through the switch screen is signed out after signing (``hand_back``), and the switch screen
offers the tablet back to whoever handed it over.
"""

from urllib.parse import urlencode

from django.contrib.auth import logout
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

ON_SHARED_TABLET = "on_shared_tablet"  # signed in by PIN on the switch screen
HANDED_OVER_BY = "handed_over_by"  # the user id of whoever was signed in before


def switched_in(request: HttpRequest, *, previous: User | None) -> None:
    """Note, in the session of the person who just switched in by PIN, that they are on a
    shared tablet, and who handed it over (``previous``, signed in until then), if anyone."""
    request.session[ON_SHARED_TABLET] = True
    if previous is not None and previous.pk != request.user.pk:
        request.session[HANDED_OVER_BY] = previous.pk


def hand_back(request: HttpRequest, *, next_path: str) -> HttpResponseRedirect | None:
    """Sign out a person who came in on the switch screen, now their part is done, and show
    the switch screen again, ready for whoever handed the tablet over (on an enrolled tablet,
    their name comes chosen). None for a person who signed in on their own device: they stay."""
    if not request.session.get(ON_SHARED_TABLET):
        return None
    back_to = request.session.get(HANDED_OVER_BY)
    logout(request)
    query = {"next": next_path} | ({"back_to": back_to} if back_to else {})
    return HttpResponseRedirect(f"{reverse('switch-user')}?{urlencode(query)}")
