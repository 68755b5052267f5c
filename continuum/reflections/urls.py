from __future__ import annotations

from django.urls import path

from continuum.reflections import views

app_name = "reflections"

urlpatterns = [
    path(
        "clients/<int:client_id>/reflections/",
        views.client_reflections,
        name="client_reflections",
    ),
    path(
        "clients/<int:client_id>/reflections/new/",
        views.reflection_create,
        name="reflection_create",
    ),
    path("reflections/former-clients/", views.former_clients, name="former_clients"),
    path("reflections/<int:reflection_id>/", views.reflection_detail, name="reflection_detail"),
    path("reflections/<int:reflection_id>/edit/", views.reflection_edit, name="reflection_edit"),
    path(
        "reflections/<int:reflection_id>/addressed/",
        views.reflection_address,
        name="reflection_address",
    ),
    path(
        "reflections/<int:reflection_id>/not-addressed/",
        views.reflection_unaddress,
        name="reflection_unaddress",
    ),
]
