from __future__ import annotations

from django.urls import path

from continuum.practice import views

app_name = "accounts"

urlpatterns = [
    path("members/", views.members, name="members"),
    path("members/invite/", views.invite, name="invite"),
    path(
        "members/<int:membership_id>/resend-invitation/",
        views.resend_invite,
        name="resend_invite",
    ),
    path("members/<int:membership_id>/deactivate/", views.deactivate, name="deactivate"),
    path("members/<int:membership_id>/reactivate/", views.reactivate, name="reactivate"),
    path("members/<int:membership_id>/role/", views.set_role, name="set_role"),
    path("members/<int:membership_id>/email/", views.member_email, name="member_email"),
    path("members/<int:membership_id>/reset-mfa/", views.reset_mfa, name="reset_mfa"),
    path("settings/", views.practice_settings, name="practice_settings"),
    path("clients/", views.roster, name="roster"),
    path("clients/<int:client_id>/reassign/", views.reassign, name="reassign"),
    path("clients/<int:client_id>/break-glass/", views.break_glass, name="break_glass"),
]
