from collections.abc import Callable

from django.contrib.auth.decorators import login_not_required
from django.urls import path
from django.views.decorators.cache import never_cache
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.permissions import requires
from api import fhir_views, views

app_name = "api"


def for_administrators(view: Callable) -> Callable:
    """A page for signed-in administrators. DRF exempts its views from the login middleware
    (they authenticate by themselves, here with a token); this one is a person's page: the
    login first, then the role."""
    checked = never_cache(requires("accounts.view_apitoken")(view))
    checked.login_required = True  # type: ignore[attr-defined]  # the middleware's marker
    return checked


urlpatterns = [
    path("v1/procedures/", views.procedure_list, name="procedure-list"),
    path("v1/cases/", views.case_collection, name="case-list"),
    path("v1/cases/<int:case_id>/", views.case_detail, name="case-detail"),
    path("v1/cases/<int:case_id>/steps/<int:step_id>/", views.step_record, name="step-record"),
    path("v1/cases/<int:case_id>/implants/", views.implant_add, name="implant-add"),
    path("v1/schedule/", views.schedule_import, name="schedule-import"),
    # The schema is public (it holds no data); its documentation is for administrators.
    path("schema/", login_not_required(never_cache(SpectacularAPIView.as_view())), name="schema"),
    path(
        "docs/",
        for_administrators(
            SpectacularSwaggerSplitView.as_view(
                url_name="api:schema", template_name="api/docs.html"
            )
        ),
        name="docs",
    ),
]

# FHIR R4, read-only (api.fhir), mounted at /fhir/ by the project's URLs.
fhir_urlpatterns = [
    path("metadata", fhir_views.Metadata.view(), name="metadata"),
    path("Bundle/<int:case_id>", fhir_views.CaseBundle.view(), name="case-bundle"),
    path(
        "Questionnaire/<int:version_id>",
        fhir_views.QuestionnaireRead.view(),
        name="questionnaire",
    ),
    path(
        "QuestionnaireResponse/<int:case_id>",
        fhir_views.QuestionnaireResponseRead.view(),
        name="questionnaire-response",
    ),
    path("Procedure/<int:case_id>", fhir_views.ProcedureRead.view(), name="procedure"),
    path("Device/<int:implant_id>", fhir_views.DeviceRead.view(), name="device"),
    path("Provenance/<int:signature_id>", fhir_views.ProvenanceRead.view(), name="provenance"),
]
