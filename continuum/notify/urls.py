from __future__ import annotations

from django.urls import path

from continuum.notify import views

app_name = "notify"

urlpatterns = [
    path("portal/reminders/", views.portal_preferences, name="portal_preferences"),
]
