from __future__ import annotations

from django.urls import path

from continuum.api import views

app_name = "api"

urlpatterns = [
    path("me/api-tokens/", views.token_list, name="tokens"),
    path("me/api-tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
