"""One client of the bench: a keep-alive connection with its cookies and CSRF token, the
login form, and what a page or an htmx answer says about its step rows."""

import http.client
import os
import re
import ssl
from dataclasses import dataclass
from urllib.parse import urlencode

USER_AGENT = "sitracker-bench/1 (load client)"
TLS_PORTS = "SITRACKER_BENCH_TLS_PORTS"  # comma-separated: the ports that speak TLS
HTTP_TIMEOUT = 300


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Browser:
    """One tablet or desk: a keep-alive connection, its cookies and its CSRF token. Requests
    say X-Forwarded-Proto: https, as the TLS proxy in front of the application would."""

    def __init__(
        self, port: int, cookies: dict[str, str] | None = None, *, tls: bool | None = None
    ) -> None:
        self.port = port
        self.cookies = dict(cookies or {})
        self.origin = f"https://127.0.0.1:{port}"
        self.connection: http.client.HTTPConnection | None = None
        self.csrf_token = ""
        # TLS for the ports of nginx in front (bench/load/front.py), which the client
        # processes learn from the environment; plain http to gunicorn itself.
        self.tls = str(port) in tls_ports() if tls is None else tls

    def request(
        self, method: str, path: str, *, body: str | None = None, headers: dict | None = None
    ) -> Reply:
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = self._connect()
            sent = {
                "Host": f"127.0.0.1:{self.port}",
                "X-Forwarded-Proto": "https",
                "User-Agent": USER_AGENT,
                "Accept-Encoding": "identity",
                **(headers or {}),
            }
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            if body is not None:
                sent["Content-Type"] = "application/x-www-form-urlencoded"
            try:
                self.connection.request(method, path, body=body, headers=sent)
                response = self.connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: reconnect, once, and only for
                # requests that change nothing (a POST might have been received).
                self.close()
                if attempt == 2 or method != "GET":
                    raise
                continue
            for cookie in response.headers.get_all("Set-Cookie") or ():
                name, _, rest = cookie.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            if response.will_close:
                self.close()
            return Reply(response.status, response.headers, data)
        raise AssertionError("unreachable")

    def _connect(self) -> http.client.HTTPConnection:
        if not self.tls:
            return http.client.HTTPConnection("127.0.0.1", self.port, timeout=HTTP_TIMEOUT)
        # The run's own self-signed certificate: encrypted, not verified.
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        return http.client.HTTPSConnection(
            "127.0.0.1", self.port, timeout=HTTP_TIMEOUT, context=context
        )

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def learn_csrf_token(self, page: Reply) -> None:
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        match = match or re.search(r'"X-CSRFToken": "([^"]+)"', page.text)
        self.csrf_token = match.group(1) if match else self.cookies.get("csrftoken", "")

    def htmx_headers(self, current_url: str, target: str) -> dict[str, str]:
        return {
            "HX-Request": "true",
            "HX-Current-URL": self.origin + current_url,
            "HX-Target": target,
            "X-CSRFToken": self.csrf_token,
            "Origin": self.origin,
            "Referer": self.origin + current_url,
        }


def log_in(port: int, username: str, password: str) -> dict[str, str]:
    """Through the login form, as a person would; returns the session's cookies."""
    browser = Browser(port)
    form = browser.request("GET", "/accounts/login/")
    browser.learn_csrf_token(form)
    body = urlencode(
        {
            "csrfmiddlewaretoken": browser.csrf_token,
            "username": username,
            "password": password,
            "next": "/",
        }
    )
    headers = {"Origin": browser.origin, "Referer": browser.origin + "/accounts/login/"}
    answer = browser.request("POST", "/accounts/login/", body=body, headers=headers)
    browser.close()
    if answer.status != 302 or "/accounts/login/" in answer.headers.get("Location", ""):
        raise RuntimeError(f"login of {username} failed: HTTP {answer.status}")
    return browser.cookies


ROW = re.compile(r'<li id="step-(\d+)" class="step step-(\w+)[^"]*"[^>]*data-revision="(\d+)"')
SINCE = re.compile(r'id="live-sync-since" name="since" value="(\d+)"')


def read_rows(html: str) -> dict[int, tuple[str, int]]:
    """Every step row in a page or an htmx answer: {step id: (status, revision)}."""
    return {int(pk): (status, int(rev)) for pk, status, rev in ROW.findall(html)}


def read_since(html: str, default: int) -> int:
    match = SINCE.search(html)
    return int(match.group(1)) if match else default


def tls_ports() -> set[str]:
    return {port for port in os.environ.get(TLS_PORTS, "").split(",") if port}
