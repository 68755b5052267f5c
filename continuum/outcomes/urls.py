from __future__ import annotations

from django.urls import path

from continuum.outcomes import views

app_name = "outcomes"

urlpatterns = [
    path("outcomes/", views.outcomes_page, name="page"),
    path("outcomes/export.csv", views.outcomes_csv, name="csv"),
]
