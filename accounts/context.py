"""Where a request came from: the client's address, for throttling and the audit trail."""

import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest


@dataclass(frozen=True)
class RequestContext:
    """Where a change came from, for the audit trail. Views build it; tests may omit it."""

    remote_addr: str | None = None
    user_agent: str = ""


NO_CONTEXT = RequestContext()


def request_context(request: HttpRequest) -> RequestContext:
    """Where a change came from, for the audit trail: the client's address and browser."""
    user_agent = request.headers.get("User-Agent", "")[:300]
    return RequestContext(remote_addr=client_ip(request), user_agent=user_agent)


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
