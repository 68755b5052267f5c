from __future__ import annotations

from django.urls import path

from continuum.fhir import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("Patient/<int:pk>/$everything", views.everything, name="patient_everything"),
    path(
        "DocumentReference/<int:pk>/summary.pdf",
        views.summary_pdf,
        name="documentreference_pdf",
    ),
]
for kind, entry in views.READS.items():
    # Questionnaire ids are instrument codes ("phq9"), not row ids: their parameter is `code`.
    read = f"{kind}/<int:pk>" if entry.id_type == "int" else f"{kind}/<str:pk>"
    if kind == "Questionnaire":
        read = f"{kind}/<str:code>"
    urlpatterns += [
        path(read, views.read_view(kind), name=f"{kind.lower()}_read"),
        path(kind, views.search_view(kind), name=f"{kind.lower()}_search"),
    ]
