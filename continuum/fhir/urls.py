from __future__ import annotations

from django.urls import path

from continuum.fhir import bulk, imports, views

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

# Bulk export (continuum/fhir/bulk.py).
urlpatterns += [
    path("$export", bulk.export_system, name="export"),
    path("Group/<int:pk>", bulk.group_read, name="group_read"),
    path("Group/<int:pk>/$export", bulk.export_group, name="group_export"),
    path("bulk/<int:pk>", bulk.export_status, name="export_status"),
    path("bulk/<int:pk>/<int:file_id>.ndjson", bulk.export_file, name="export_file"),
]

# Import (continuum/fhir/imports.py): POST a QuestionnaireResponse; its GET stays the search.
urlpatterns.insert(
    0,
    path(
        "QuestionnaireResponse",
        imports.questionnaire_responses,
        name="questionnaireresponse_search",
    ),
)
