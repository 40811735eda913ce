from django.urls import path

from wall import views

urlpatterns = [
    path("display/", views.pair, name="wall-pair"),
    path("rooms/<int:room_id>/display/", views.display, name="wall-display"),
    path("rooms/<int:room_id>/display/live", views.display_live, name="wall-display-live"),
    # Served by the ASGI events server (deploy/: nginx sends /events/ there).
    path("events/rooms/<int:room_id>/", views.display_events, name="wall-display-events"),
]
