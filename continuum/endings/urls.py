from __future__ import annotations

from django.urls import path

from continuum.endings.views import portal, therapist

app_name = "endings"

# Included at the root: the therapist's pages beside the episode and client records, the
# client's under portal/ (the client comes from the login, never the URL).
urlpatterns = [
    # --- planned termination ---
    path("episodes/<int:episode_id>/readiness/", therapist.readiness, name="readiness"),
    path(
        "episodes/<int:episode_id>/readiness/request/",
        therapist.readiness_request,
        name="readiness_request",
    ),
    path("episodes/<int:episode_id>/ending/", therapist.ending, name="ending"),
    path("episodes/<int:episode_id>/referrals/", therapist.referral_add, name="referral_add"),
    path("referrals/<int:referral_id>/remove/", therapist.referral_remove, name="referral_remove"),
    # --- unplanned ending ---
    path("episodes/<int:episode_id>/unplanned/", therapist.unplanned, name="unplanned"),
    path(
        "episodes/<int:episode_id>/unplanned/letter.pdf",
        therapist.unplanned_letter,
        name="unplanned_letter",
    ),
    # --- relapse prevention ---
    path(
        "clients/<int:client_id>/relapse-prevention/",
        therapist.relapse_plan,
        name="relapse_plan",
    ),
    # --- termination summary (HTML; PDF with ?format=pdf or the .pdf address) ---
    path("episodes/<int:episode_id>/summary/", therapist.summary, name="summary"),
    path("episodes/<int:episode_id>/summary.pdf", therapist.summary_pdf, name="summary_pdf"),
    path(
        "episodes/<int:episode_id>/summary/client/",
        therapist.summary_client,
        name="summary_client",
    ),
    path(
        "episodes/<int:episode_id>/summary/client.pdf",
        therapist.summary_client_pdf,
        name="summary_client_pdf",
    ),
    # --- the client's portal ---
    path("portal/ending/", portal.ending, name="portal_ending"),
    path("portal/ending/accept/", portal.ending_accept, name="portal_ending_accept"),
    path("portal/ending/readiness/", portal.readiness, name="portal_readiness"),
    path("portal/ending/summary/", portal.summary, name="portal_summary"),
    path("portal/ending/summary.pdf", portal.summary_pdf, name="portal_summary_pdf"),
    path("portal/relapse-prevention/", portal.relapse_plan, name="portal_relapse_plan"),
]
