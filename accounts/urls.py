from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views
from accounts.forms import LoginForm
from accounts.permissions import signed_in

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
    path(
        "accounts/password/",
        signed_in(views.PasswordChangeView.as_view(http_method_names=FORM_METHODS)),
        name="password-change",
    ),
    path("session/heartbeat/", views.heartbeat, name="session-heartbeat"),
    path("switch/", views.switch_user, name="switch-user"),
    path("devices/enrol/", views.enrol_device, name="device-enrol"),
]
