"""Where a request came from, for throttling and the audit trail."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address, or None when there is no valid one (e.g. a Unix socket).

    Directly served, that is REMOTE_ADDR. Behind ``TRUSTED_PROXY_HOPS`` proxies it is the entry
    the outermost trusted proxy appended to X-Forwarded-For, counted from the right: entries to
    its left were sent by the client and prove nothing.
    """
    address = request.META.get("REMOTE_ADDR", "")
    hops = settings.TRUSTED_PROXY_HOPS
    if hops:
        header = request.META.get("HTTP_X_FORWARDED_FOR", "")
        forwarded = [part.strip() for part in header.split(",") if part.strip()]
        # Fewer entries than proxies: the request did not come through them; keep the peer.
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
