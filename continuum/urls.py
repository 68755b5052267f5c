from __future__ import annotations

from django.urls import include, path

from continuum.accounts import views as account_views
from continuum.api import views as api_views
from continuum.api.v1 import api
from continuum.bench_floor import floor
from continuum.practice import views as practice_views

urlpatterns = [
    path("", practice_views.home, name="home"),
    path("ping/", floor, name="ping"),
    # allauth's email management is not routable (issue 18): ours is under me/email/.
    path("accounts/email/", account_views.not_routable),
    # Removing a passkey asks first (accounts/confirm.py), then runs allauth's removal.
    path(
        "accounts/2fa/webauthn/keys/<int:pk>/remove/",
        account_views.passkey_remove,
        name="passkey_remove",
    ),
    path("accounts/", include("allauth.urls")),
    path("me/email/", account_views.email_change, name="email_change"),
    path(
        "me/email/confirm/<str:token>/",
        account_views.email_change_confirm,
        name="email_change_confirm",
    ),
    path(
        "set-password/<uidb64>/<token>/",
        account_views.set_password,
        name="set_password",
    ),
    path("practice/", include("continuum.practice.urls")),
    path("practice/audit/", include("continuum.practice.audit_urls")),
    path("", include("continuum.care.urls")),
    path("", include("continuum.measures.urls")),
    path("", include("continuum.reflections.urls")),
    path("", include("continuum.plans.urls")),
    path("", include("continuum.continuity.urls")),
    path("", include("continuum.endings.urls")),
    path("", include("continuum.boundaries.urls")),
    path("", include("continuum.notify.urls")),
    path("", include("continuum.followup.urls")),
    path("", include("continuum.wellbeing.urls")),
    # The JSON API (token-authenticated; ninja exempts its token routes from CSRF) and its
    # docs page, rendered from the OpenAPI document by our own view.
    path("api/v1/docs/", api_views.api_docs, name="api_docs"),
    path("api/v1/", api.urls),
    path("", include("continuum.api.urls")),
    path("fhir/r4/", include("continuum.fhir.urls")),
    path("", include("continuum.outcomes.urls")),
    # The portal: the client's pages under portal/, the therapist's beside the client record.
    path("", include("continuum.portal.urls")),
    # Data in and out: calendar feeds, CSV, a client's own record.
    path("", include("continuum.exchange.urls")),
]
