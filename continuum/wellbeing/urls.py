from __future__ import annotations

from django.urls import path

from continuum.wellbeing import views

app_name = "wellbeing"

urlpatterns = [
    path("me/load/", views.my_load, name="load"),
    path("me/load/settings/", views.load_settings, name="settings"),
    path("me/load/snooze/", views.snooze, name="snooze"),
    path("me/digest/", views.digest, name="digest"),
    path(
        "me/sessions/<int:appointment_id>/weight/",
        views.session_weight,
        name="session_weight",
    ),
    path("me/reflections/", views.self_reflections, name="self_reflections"),
    path("me/reflections/new/", views.self_reflection_create, name="self_reflection_create"),
    path(
        "me/reflections/<int:self_reflection_id>/",
        views.self_reflection_detail,
        name="self_reflection_detail",
    ),
    path(
        "me/reflections/<int:self_reflection_id>/edit/",
        views.self_reflection_edit,
        name="self_reflection_edit",
    ),
    path(
        "me/reflections/<int:self_reflection_id>/delete/",
        views.self_reflection_delete,
        name="self_reflection_delete",
    ),
    path("me/consultations/", views.consultations, name="consultations"),
    path(
        "me/consultations/<int:consultation_id>/edit/",
        views.consultation_edit,
        name="consultation_edit",
    ),
    path(
        "clients/<int:client_id>/consultations/",
        views.client_consultations,
        name="client_consultations",
    ),
    path("practice/wellbeing/", views.practice_wellbeing, name="practice"),
]
