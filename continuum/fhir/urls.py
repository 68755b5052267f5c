from __future__ import annotations

from django.urls import path

from continuum.fhir import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("Patient/<int:pk>/$everything", views.everything, name="patient_everything"),
]
for kind in views.READS:
    urlpatterns += [
        path(f"{kind}/<int:pk>", views.read_view(kind), name=f"{kind.lower()}_read"),
        path(kind, views.search_view(kind), name=f"{kind.lower()}_search"),
    ]
