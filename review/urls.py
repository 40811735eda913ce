from django.urls import path

from review import views

app_name = "review"

urlpatterns = [
    path("", views.case_list, name="case-list"),
    path("search/", views.mrn_search, name="mrn-search"),
    path("export/", views.case_export, name="export"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("debrief/", views.debrief_actions, name="debrief-actions"),
    path("recalls/", views.recalls, name="recalls"),
    path("recalls/export/", views.recalls_export, name="recalls-export"),
    path("<int:case_id>/", views.record, name="record"),
    path("<int:case_id>/record.pdf", views.record_pdf, name="record-pdf"),
    path("<int:case_id>/implant-card.pdf", views.implant_card_pdf, name="implant-card-pdf"),
    path("<int:case_id>/mark-reviewed/", views.mark_reviewed, name="mark-reviewed"),
    path("<int:case_id>/emergency-access/", views.emergency_access, name="emergency-access"),
]
