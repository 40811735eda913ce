from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from accounts.forms import AdminLoginForm


class SiteAdmin(admin.AdminSite):
    site_header = "SI Tracker administration"
    site_title = "SI Tracker admin"
    index_title = "Procedures, users and audit"
    login_form = AdminLoginForm

    @method_decorator(never_cache)
    @login_not_required
    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        # A signed-in nurse or reviewer is not asked to log in again: they are refused.
        if request.user.is_authenticated and not self.has_permission(request):
            raise PermissionDenied
        return super().login(request, extra_context)
