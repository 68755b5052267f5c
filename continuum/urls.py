from __future__ import annotations

from django.urls import include, path

from continuum.accounts import views as account_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path(
        "set-password/<uidb64>/<token>/",
        account_views.set_password,
        name="set_password",
    ),
    path("practice/", include("continuum.accounts.urls")),
    path("practice/audit/", include("continuum.audit.urls")),
    path("", include("continuum.care.urls")),
    path("", include("continuum.measures.urls")),
    path("", include("continuum.continuity.urls")),
    # The portal: the client's pages under portal/, the therapist's beside the client record.
]
