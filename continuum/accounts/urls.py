from __future__ import annotations

from django.urls import path

from continuum.accounts import views_practice as views

app_name = "accounts"

urlpatterns = [
    path("members/", views.members, name="members"),
]
