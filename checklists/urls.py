from django.urls import path

from checklists import views

urlpatterns = [
    path("", views.board, name="home"),
    path("cases/new/", views.new_case, name="case-new"),
    path("cases/import/", views.schedule_import, name="schedule-import"),
    path("cases/<int:case_id>/sign-out/", views.case_sign_out, name="case-sign-out"),
    path("cases/<int:case_id>/cancel/", views.case_cancel, name="case-cancel"),
    path("cases/<int:case_id>/surgeon/", views.case_surgeon, name="case-surgeon"),
    path("cases/<int:case_id>/stop/", views.concern_raise, name="concern-raise"),
    path(
        "cases/<int:case_id>/stop/<int:concern_id>/resolved/",
        views.concern_resolve,
        name="concern-resolve",
    ),
    path(
        "cases/<int:case_id>/sides/<int:disagreement_id>/resolved/",
        views.side_disagreement_resolve,
        name="side-disagreement-resolve",
    ),
    path("cases/<int:case_id>/time-out/", views.time_out_start, name="time-out-start"),
    path(
        "cases/<int:case_id>/time-out/<int:time_out_id>/",
        views.time_out_page,
        name="time-out",
    ),
    path(
        "cases/<int:case_id>/time-out/<int:time_out_id>/items/<int:step_id>/",
        views.time_out_item,
        name="time-out-item",
    ),
    path(
        "cases/<int:case_id>/time-out/<int:time_out_id>/end/",
        views.time_out_end,
        name="time-out-end",
    ),
    path("cases/<int:case_id>/debrief/", views.debrief_action_add, name="debrief-action-add"),
    path(
        "debrief-actions/<int:action_id>/closed/",
        views.debrief_action_close,
        name="debrief-action-close",
    ),
    path("cases/<int:case_id>/", views.case_detail, name="case-detail"),
    path("cases/<int:case_id>/steps/<int:step_id>/", views.step_update, name="step-update"),
    path(
        "cases/<int:case_id>/steps/<int:step_id>/override/",
        views.stop_override,
        name="stop-override",
    ),
    path(
        "procedures/versions/<int:version_id>/preview/",
        views.procedure_preview,
        name="procedure-preview",
    ),
    path(
        "procedures/blocks/versions/<int:version_id>/preview/",
        views.block_preview,
        name="block-preview",
    ),
    path("cases/<int:case_id>/version", views.case_version, name="case-version"),
    # Served by the ASGI events server (deploy/: nginx sends /events/ there).
    path("events/cases/<int:case_id>/", views.case_events, name="case-events"),
    path("cases/<int:case_id>/implants/", views.implant_add, name="implant-add"),
    path(
        "cases/<int:case_id>/implants/<int:implant_id>/remove/",
        views.implant_remove,
        name="implant-remove",
    ),
    path(
        "cases/<int:case_id>/implants/<int:implant_id>/read-back/",
        views.implant_read_back,
        name="implant-read-back",
    ),
    path(
        "cases/<int:case_id>/implants/<int:implant_id>/waste/",
        views.implant_waste,
        name="implant-waste",
    ),
]
