from __future__ import annotations

from django.urls import path

from continuum.measures.views import administrations, alerts, public, record

app_name = "measures"

urlpatterns = [
    # --- the clinical record ---
    path("clients/<int:client_id>/measures/", record.client_measures, name="client_measures"),
    path("episodes/<int:episode_id>/measures/", record.episode_measures, name="episode_measures"),
    path("episodes/<int:episode_id>/measures/assign/", record.assign, name="assign"),
    path(
        "measures/assignments/<int:assignment_id>/stop/",
        record.assignment_stop,
        name="assignment_stop",
    ),
    path(
        "measures/administrations/<int:administration_id>/",
        administrations.administration_detail,
        name="administration_detail",
    ),
    path(
        "measures/administrations/<int:administration_id>/link/",
        administrations.administration_link,
        name="administration_link",
    ),
    path(
        "measures/administrations/<int:administration_id>/link/email/",
        administrations.administration_link_email,
        name="administration_link_email",
    ),
    path(
        "measures/administrations/<int:administration_id>/enter/",
        administrations.administration_enter,
        name="administration_enter",
    ),
    path(
        "measures/administrations/<int:administration_id>/correct/",
        administrations.administration_correct,
        name="administration_correct",
    ),
    path(
        "measures/administrations/<int:administration_id>/safety-question/dismiss/",
        administrations.safety_prompt_dismiss,
        name="safety_prompt_dismiss",
    ),
    # --- alerts ---
    path("alerts/", alerts.alert_list, name="alert_list"),
    path("alerts/<int:alert_id>/", alerts.alert_detail, name="alert_detail"),
    path("alerts/<int:alert_id>/acknowledge/", alerts.alert_acknowledge, name="alert_acknowledge"),
    path("alerts/<int:alert_id>/resolve/", alerts.alert_resolve, name="alert_resolve"),
    path("alerts/<int:alert_id>/still-relevant/", alerts.alert_stale, name="alert_stale"),
    # --- public: the one-time questionnaire link (no login) ---
    path("q/<str:token>/", public.questionnaire, name="questionnaire"),
]
