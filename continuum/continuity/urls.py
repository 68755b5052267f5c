from __future__ import annotations

from django.urls import path

from continuum.continuity import views

app_name = "continuity"

urlpatterns = [
    path("day/", views.day, name="day"),
    path("appointments/<int:appointment_id>/brief/", views.brief, name="brief"),
]
