from __future__ import annotations

from django.urls import path

from continuum.plans.views import portal, therapist

app_name = "plans"

# Included at the root: the therapist's pages beside the episode and client records, the
# client's under portal/ (the client comes from the login, never the URL).
urlpatterns = [
    # --- treatment plans ---
    path("episodes/<int:episode_id>/plan/", therapist.episode_plan, name="episode_plan"),
    path("episodes/<int:episode_id>/plan/new/", therapist.plan_create, name="plan_create"),
    path("plans/<int:plan_id>/", therapist.plan_detail, name="plan_detail"),
    path("plans/<int:plan_id>/edit/", therapist.plan_edit, name="plan_edit"),
    path("plans/<int:plan_id>/publish/", therapist.plan_publish, name="plan_publish"),
    path("plans/<int:plan_id>/goals/new/", therapist.goal_create, name="goal_create"),
    path("goals/<int:goal_id>/edit/", therapist.goal_edit, name="goal_edit"),
    path(
        "plans/<int:plan_id>/interventions/new/",
        therapist.intervention_create,
        name="intervention_create",
    ),
    path(
        "interventions/<int:intervention_id>/edit/",
        therapist.intervention_edit,
        name="intervention_edit",
    ),
    path(
        "interventions/<int:intervention_id>/review/",
        therapist.intervention_review,
        name="intervention_review",
    ),
    # --- homework ---
    path("clients/<int:client_id>/homework/", therapist.homework_list, name="homework_list"),
    path("homework/<int:homework_id>/edit/", therapist.homework_edit, name="homework_edit"),
    path("homework/<int:homework_id>/cancel/", therapist.homework_cancel, name="homework_cancel"),
    # --- the client's portal ---
    path("portal/plan/", portal.plan, name="portal_plan"),
    path("portal/plan/acknowledge/", portal.plan_acknowledge, name="portal_plan_acknowledge"),
    path("portal/homework/", portal.homework, name="portal_homework"),
    path(
        "portal/homework/<int:homework_id>/report/",
        portal.homework_report,
        name="portal_homework_report",
    ),
]
