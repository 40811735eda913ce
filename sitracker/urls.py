from django.contrib import admin
from django.urls import include, path

from api.urls import fhir_urlpatterns
from sitracker import views

urlpatterns = [
    path("", include("accounts.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("review/", include("review.urls")),
    path("api/", include("api.urls")),
    path("fhir/", include((fhir_urlpatterns, "fhir"))),
    path("", include("wall.urls")),
    path("", include("checklists.urls")),
]

handler400 = "sitracker.views.bad_request"
handler403 = "sitracker.views.permission_denied"
handler404 = "sitracker.views.page_not_found"
handler500 = "sitracker.views.server_error"
