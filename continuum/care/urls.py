from __future__ import annotations

from django.urls import path

from continuum.care.views import appointments, clients, episodes, notes, schedule

app_name = "care"

urlpatterns = [
    # --- clients and episodes ---
    path("clients/", clients.caseload, name="caseload"),
    path("clients/new/", clients.client_create, name="client_create"),
    path("clients/<int:client_id>/", clients.client_detail, name="client_detail"),
    path("clients/<int:client_id>/edit/", clients.client_edit, name="client_edit"),
    path("clients/<int:client_id>/episodes/new/", episodes.episode_create, name="episode_create"),
    path("episodes/<int:episode_id>/", episodes.episode_detail, name="episode_detail"),
    path("episodes/<int:episode_id>/edit/", episodes.episode_edit, name="episode_edit"),
    path(
        "episodes/<int:episode_id>/status/", episodes.episode_transition, name="episode_transition"
    ),
    # --- appointments, notes and the schedule ---
    path("schedule/", schedule.week, name="schedule"),
    path(
        "clients/<int:client_id>/appointments/new/",
        appointments.appointment_create,
        name="appointment_create",
    ),
    path(
        "appointments/<int:appointment_id>/",
        appointments.appointment_detail,
        name="appointment_detail",
    ),
    path(
        "appointments/<int:appointment_id>/edit/",
        appointments.appointment_edit,
        name="appointment_edit",
    ),
    path(
        "appointments/<int:appointment_id>/status/",
        appointments.appointment_status,
        name="appointment_status",
    ),
    path("appointments/<int:appointment_id>/note/", notes.note_create, name="note_create"),
    path("notes/<int:note_id>/", notes.note_detail, name="note_detail"),
    path("notes/<int:note_id>/edit/", notes.note_edit, name="note_edit"),
    path("notes/<int:note_id>/sign/", notes.note_sign, name="note_sign"),
    path("notes/<int:note_id>/addenda/", notes.addendum_create, name="addendum_create"),
    path("notes/<int:note_id>/print/", notes.note_print, name="note_print"),
]
