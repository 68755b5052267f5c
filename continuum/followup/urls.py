from __future__ import annotations

from django.urls import path

from continuum.followup.views import portal, therapist

app_name = "followup"

# Included at the root: the therapist's pages beside the client record, the client's under
# portal/ (the client comes from the login, never from the URL).
urlpatterns = [
    # --- the therapist ---
    path("clients/<int:client_id>/follow-up/", therapist.client_followup, name="client_followup"),
    path(
        "episodes/<int:episode_id>/follow-up/consent/",
        therapist.consent_create,
        name="consent_create",
    ),
    path(
        "follow-up/<int:consent_id>/withdraw/",
        therapist.consent_withdraw,
        name="consent_withdraw",
    ),
    path("follow-up/check-ins/<int:checkin_id>/", therapist.checkin_detail, name="checkin_detail"),
    path("boosters/<int:booster_id>/", therapist.booster_detail, name="booster_detail"),
    path("boosters/<int:booster_id>/accept/", therapist.booster_accept, name="booster_accept"),
    path("boosters/<int:booster_id>/decline/", therapist.booster_decline, name="booster_decline"),
    path("clients/<int:client_id>/reopen/", therapist.reopen, name="reopen"),
    # --- the client ---
    path("portal/follow-up/", portal.portal_home, name="portal_home"),
    path("portal/follow-up/accept/", portal.portal_accept, name="portal_accept"),
    path("portal/follow-up/decline/", portal.portal_decline, name="portal_decline"),
    path("portal/follow-up/withdraw/", portal.portal_withdraw, name="portal_withdraw"),
    path("portal/follow-up/check-in/", portal.portal_checkin, name="portal_checkin"),
    path(
        "portal/follow-up/check-ins/<int:checkin_id>/",
        portal.portal_checkin_done,
        name="portal_checkin_done",
    ),
    path("portal/follow-up/booster/", portal.portal_booster, name="portal_booster"),
]
