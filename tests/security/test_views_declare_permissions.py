"""Deny by default: every view outside the admin states the permissions it needs.

The URLconf is walked, so a view added later without ``@requires(...)`` (accounts.permissions)
fails here. These kinds of view need no permission, each on purpose:
- public pages (``login_not_required``), listed in tests/site/test_login_required.py;
- one's own account (``@signed_in``): logging out, setting one's PIN or password, the page's
  heartbeat that keeps one's own session open;
- the admin, whose site checks staff status and each model's permissions itself;
- a room's wall display (its enrolled device) and the REST API (an integration's token, whose
  scope each endpoint checks: tests/api/test_tokens.py).
"""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import get_resolver
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.permissions import requires
from tests.site.test_login_required import DISPLAY_ONLY, PUBLIC, TOKEN_ONLY, endpoints

OWN_ACCOUNT = {"logout", "my-pin", "password-change", "session-heartbeat"}
# The admin's named pages and its unnamed redirects (the catch-all, the object-id shortcuts).
OURS = [e for e in endpoints(get_resolver()) if not e.route.startswith("admin/")]


def declared(endpoint) -> tuple[str, ...] | None:
    return getattr(endpoint.callback, "required_permissions", None)


def test_the_walk_reaches_the_checklist_and_review_pages():
    names = {endpoint.name for endpoint in OURS}
    assert {"home", "case-detail", "step-update", "review:case-list", "review:export"} <= names


def test_every_view_states_the_permissions_it_needs():
    # A wall display's pages check the display's device, not a person's permissions; the API's
    # endpoints check the token's scope (api.permissions).
    exempt = PUBLIC | DISPLAY_ONLY | TOKEN_ONLY
    silent = sorted(e.route for e in OURS if e.name not in exempt and declared(e) is None)

    assert not silent, "Add @requires('app.permission') (accounts.permissions) to these views"


def test_only_ones_own_account_pages_need_no_permission_beyond_signing_in():
    open_to_anyone_signed_in = {e.name for e in OURS if declared(e) == ()}

    assert open_to_anyone_signed_in == OWN_ACCOUNT


def test_every_permission_named_exists(db):
    named = {permission for e in OURS for permission in declared(e) or ()}
    existing = {
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }

    assert named and named <= existing, sorted(named - existing)


def test_the_declaration_is_the_check_and_survives_other_decorators(nurse, reviewer):
    @never_cache
    @requires("checklists.review_case", "checklists.export_case")
    @require_POST
    def export(request):
        return HttpResponse("ok")

    request = RequestFactory().post("/")
    request.user = reviewer
    assert export(request).status_code == 200
    request.user = nurse
    with pytest.raises(PermissionDenied):
        export(request)
    assert export.required_permissions == ("checklists.review_case", "checklists.export_case")


def test_a_declaration_must_name_a_permission():
    with pytest.raises(ValueError, match="at least one permission"):
        requires()
