from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts.permissions import signed_in
from sitracker import views
from sitracker.forms import LoginForm

# A page that shows a form takes GET and POST; PUT and friends get 405 rather than a form.
FORM_METHODS = ["get", "post", "head", "options"]

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, http_method_names=FORM_METHODS),
        name="login",
    ),
    path("accounts/logout/", signed_in(auth_views.LogoutView.as_view()), name="logout"),
    path("accounts/pin/", views.my_pin, name="my-pin"),
    path("switch/", views.switch_user, name="switch-user"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("review/", include("review.urls")),
    path("", include("checklists.urls")),
]

handler400 = "sitracker.views.bad_request"
handler403 = "sitracker.views.permission_denied"
handler404 = "sitracker.views.page_not_found"
handler500 = "sitracker.views.server_error"
