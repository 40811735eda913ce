"""The client's address, as throttling (django-axes, PINs) and the audit trail see it."""

import pytest
from django.test import RequestFactory

from accounts.context import client_ip


def request(remote_addr: str = "10.0.0.1", forwarded: str | None = None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote_addr, **headers)


def test_served_directly_it_is_the_peer_and_forwarded_headers_are_ignored(settings):
    settings.TRUSTED_PROXY_HOPS = 0

    assert client_ip(request("10.20.0.7", forwarded="203.0.113.9")) == "10.20.0.7"


def test_behind_one_proxy_it_is_the_entry_the_proxy_appended(settings):
    settings.TRUSTED_PROXY_HOPS = 1

    # The client may send its own X-Forwarded-For; only the last entry is the proxy's word.
    assert client_ip(request("10.0.0.1", forwarded="1.2.3.4, 10.20.0.7")) == "10.20.0.7"


def test_behind_two_proxies_it_is_the_second_entry_from_the_right(settings):
    settings.TRUSTED_PROXY_HOPS = 2

    assert client_ip(request(forwarded="1.2.3.4, 10.20.0.7, 10.0.0.2")) == "10.20.0.7"


def test_without_the_proxys_header_it_falls_back_to_the_peer(settings):
    settings.TRUSTED_PROXY_HOPS = 1

    assert client_ip(request("10.0.0.1", forwarded="")) == "10.0.0.1"


@pytest.mark.parametrize("address", ["", "unix:/run/gunicorn.sock", "not-an-address"])
def test_no_valid_address_gives_none(settings, address):
    settings.TRUSTED_PROXY_HOPS = 0

    assert client_ip(request(address)) is None


def test_an_ipv6_address_is_normalised(settings):
    settings.TRUSTED_PROXY_HOPS = 0

    assert client_ip(request("2001:DB8::0001")) == "2001:db8::1"
