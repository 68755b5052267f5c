from __future__ import annotations

from allauth.account.utils import perform_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from continuum.accounts import services
from continuum.accounts.forms import ChoosePasswordForm
from continuum.accounts.http import web_actor

# After the first visit the token moves from the URL into the session, and the browser is
# sent to a URL with this placeholder instead (as Django's PasswordResetConfirmView does), so
# the token does not linger in history, Referer headers or access logs of later requests.
LINK_PLACEHOLDER = "set"
LINK_SESSION_KEY = "_set_password_link"


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
def set_password(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The one-time link from an invitation or `create_practice`: choose a password, log in."""
    user = services.user_for_link(uidb64)
    if token != LINK_PLACEHOLDER:
        if not services.link_is_valid(user, token):
            return _invalid_link(request)
        request.session[LINK_SESSION_KEY] = token
        return redirect("set_password", uidb64=uidb64, token=LINK_PLACEHOLDER)
    token = request.session.get(LINK_SESSION_KEY, "")
    if user is None or not services.link_is_valid(user, token):
        return _invalid_link(request)

    form = ChoosePasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.set_initial_password(
            user, form.cleaned_data["new_password1"], actor=web_actor(request, user)
        )
        del request.session[LINK_SESSION_KEY]
        # allauth's login runs its stages (MFA later) and sends its user_logged_in signal,
        # which writes the "login" audit row.
        response: HttpResponse = perform_login(request, user, redirect_url=reverse("home"))
        return response
    return render(request, "accounts/set_password.html", {"form": form, "person": user})


def _invalid_link(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/set_password_invalid.html", status=400)
