from __future__ import annotations

from django.urls import path

from continuum.portal.views import client, staff

app_name = "portal"

# Included at the root: the client's pages live under portal/, the therapist's beside the
# client record (clients/<id>/...).
urlpatterns = [
    # --- the client's portal (the client comes from the login, never the URL) ---
    path("portal/", client.home, name="home"),
    path("portal/check-in/", client.checkin, name="checkin"),
    path("portal/check-ins/<int:checkin_id>/", client.checkin_done, name="checkin_done"),
    path("portal/progress/", client.progress, name="progress"),
    path("portal/help/", client.crisis, name="crisis"),
    path(
        "portal/questionnaires/<int:administration_id>/",
        client.questionnaire,
        name="questionnaire",
    ),
    # --- the therapist's side ---
    path("clients/<int:client_id>/portal/", staff.client_portal, name="client_portal"),
    path(
        "clients/<int:client_id>/portal/revoke/",
        staff.client_portal_revoke,
        name="client_portal_revoke",
    ),
    path(
        "clients/<int:client_id>/portal/settings/",
        staff.client_portal_settings,
        name="client_portal_settings",
    ),
    path("clients/<int:client_id>/checkins/", staff.client_checkins, name="client_checkins"),
    path(
        "clients/<int:client_id>/checkins/seen/",
        staff.client_checkins_seen,
        name="client_checkins_seen",
    ),
    path("checkins/<int:checkin_id>/seen/", staff.checkin_seen, name="checkin_seen"),
]
