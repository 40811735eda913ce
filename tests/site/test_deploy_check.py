"""Production settings pass Django's deployment checklist; local settings stay plain http.

Settings are read once, from the environment, when Django starts: each case runs in a fresh
process with the environment a deployment (or `make run`) would give it.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
    "DJANGO_ALLOWED_HOSTS": "sitracker.hospital.example",
    "SITRACKER_AUDIT_KEYS": f"2026-11:{secrets.token_urlsafe(40)}",
}
OURS = ("DJANGO_", "SITRACKER_")

SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name, None) for name in (
    "DEBUG", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
    "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SAMESITE", "X_FRAME_OPTIONS", "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY", "SECURE_CROSS_ORIGIN_OPENER_POLICY", "TRUSTED_PROXY_HOPS",
)}))
"""


def run(args: list[str], timeout: int = 120, **environment: str) -> subprocess.CompletedProcess:
    # The test process's own DJANGO_*/SITRACKER_* settings stay out; the database stays.
    env = {key: value for key, value in os.environ.items() if not key.startswith(OURS)}
    env["DJANGO_SETTINGS_MODULE"] = "sitracker.settings"
    return subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, *args],
        cwd=ROOT,
        env={**env, **environment},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def settings_under(**environment: str) -> dict:
    result = run(["-c", SHOW_SETTINGS], **environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("proxy", ["0", "1"], ids=["tls-at-gunicorn", "behind-tls-proxy"])
def test_the_deploy_check_is_clean_in_production(proxy):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        **PRODUCTION,
        DJANGO_BEHIND_TLS_PROXY=proxy,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_are_the_hardened_ones():
    settings = settings_under(**PRODUCTION)

    assert settings["DEBUG"] is False
    assert settings["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert settings["SECURE_HSTS_PRELOAD"] is False  # opt-in: DJANGO_HSTS_PRELOAD=1
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SECURE_PROXY_SSL_HEADER"] is None
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CSRF_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == settings["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert settings["X_FRAME_OPTIONS"] == "DENY"
    assert settings["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert settings["SECURE_REFERRER_POLICY"] == "same-origin"
    assert settings["SECURE_CROSS_ORIGIN_OPENER_POLICY"] == "same-origin"


def test_behind_a_tls_proxy_its_forwarded_proto_and_address_are_trusted():
    settings = settings_under(**PRODUCTION, DJANGO_BEHIND_TLS_PROXY="1")

    assert settings["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert settings["TRUSTED_PROXY_HOPS"] == 1


def test_hsts_preload_is_an_explicit_choice():
    settings = settings_under(**PRODUCTION, DJANGO_HSTS_PRELOAD="1")

    assert settings["SECURE_HSTS_PRELOAD"] is True


def test_local_runs_stay_plain_http_with_debug_on():
    settings = settings_under()

    assert settings["DEBUG"] is True
    assert settings["SECURE_SSL_REDIRECT"] is False
    assert settings["SECURE_HSTS_SECONDS"] == 0
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["X_FRAME_OPTIONS"] == "DENY"


@pytest.mark.parametrize(
    "missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "SITRACKER_AUDIT_KEYS"]
)
def test_production_refuses_to_start_without_its_secrets_and_hosts(missing):
    environment = {key: value for key, value in PRODUCTION.items() if key != missing}

    result = run(["manage.py", "check"], **environment)

    assert result.returncode != 0
    assert f"{missing} is required when DJANGO_DEBUG=0" in result.stderr


@pytest.mark.no_database  # 20 s of CPU compressing the static files: CI runs it once
def test_collectstatic_succeeds_with_the_production_storage(tmp_path):
    # The manifest storage follows every url() and sourceMappingURL in the vendored files: a
    # missing file there stops a deployment, so the whole static tree is collected here.
    result = run(
        ["manage.py", "collectstatic", "--no-input"],
        timeout=600,  # brotli on the API docs' bundles: minutes when the machine is busy
        **PRODUCTION,
        DJANGO_STATIC_ROOT=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "staticfiles.json").exists()
    # What a tablet fetches is stored compressed beside itself; a source map, which only a
    # developer's tools fetch, is not (brotli on the maps was half of collectstatic's time).
    css = tmp_path / "vendor" / "bootstrap" / "bootstrap.min.css"
    assert css.with_name(css.name + ".br").exists() and css.with_name(css.name + ".gz").exists()
    maps = list(tmp_path.rglob("*.map"))
    assert maps and not list(tmp_path.rglob("*.map.br")) and not list(tmp_path.rglob("*.map.gz"))
