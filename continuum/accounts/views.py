from __future__ import annotations

from allauth.account.utils import perform_login
from allauth.mfa.models import Authenticator
from allauth.mfa.webauthn import views as webauthn_views
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from continuum.accounts import services
from continuum.accounts.confirm import confirmation_page, confirmed
from continuum.accounts.forms import ChoosePasswordForm, EmailChangeForm
from continuum.accounts.http import actor_of, refuse, user_of, web_actor

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


@login_required
def not_routable(request: HttpRequest) -> HttpResponse:
    """allauth's email management (/accounts/email/): addresses change through
    `email_change` only (issue 18, finding 1)."""
    raise Http404("No such page")


@never_cache
@login_required
@sensitive_post_parameters("password")
def email_change(request: HttpRequest) -> HttpResponse:
    """Ask to change one's own login address: a link goes to the new address."""
    user = user_of(request)
    if (refused := refuse(request, "GET", "HEAD", "POST")) is not None:
        return refused
    form = EmailChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_email_change(user, form.cleaned_data["email"], actor=actor_of(request))
        except services.AccountError as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(
                request,
                "We sent a link to the new address. Your login address changes when you open it.",
            )
            return redirect("email_change")
    return render(
        request,
        "accounts/email_change.html",
        {"form": form, "hours": services.email_change_hours()},
    )


@never_cache
@login_required
def email_change_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the new address: shows the address, a POST applies it."""
    user = user_of(request)
    change = services.email_change_for(token, user)
    if change is None:
        return render(request, "accounts/email_change_invalid.html", status=400)
    if (refused := refuse(request, "GET", "HEAD", "POST")) is not None:
        return refused
    if request.method == "POST":
        try:
            services.confirm_email_change(change, actor=actor_of(request))
        except services.AccountError as exc:
            return render(
                request, "accounts/email_change_invalid.html", {"error": str(exc)}, status=400
            )
        messages.success(request, "Your login address was changed.")
        return redirect("home")
    return render(request, "accounts/email_change_confirm.html", {"change": change})


@never_cache
@login_required
def passkey_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Removing a passkey asks first (continuum/accounts/confirm.py), then hands the confirmed
    post to allauth's own view, which asks for the second factor again if it is not fresh,
    deletes the key and sends `authenticator_removed` (the audit row). Someone else's key, or
    one that is not a passkey, is a 404."""
    authenticator = get_object_or_404(
        Authenticator, pk=pk, user_id=user_of(request).pk, type=Authenticator.Type.WEBAUTHN
    )
    if (refused := refuse(request, "GET", "POST")) is not None:
        return refused
    if request.method == "POST" and confirmed(request):
        response: HttpResponse = webauthn_views.remove_webauthn(request, pk=authenticator.pk)
        return response
    return confirmation_page(
        request,
        title="Remove this passkey?",
        consequences=[
            f"The passkey “{authenticator}” will no longer log you in.",
            "Your authenticator app and your recovery codes keep working.",
            "You can add a passkey again at any time.",
        ],
        action=reverse("passkey_remove", kwargs={"pk": authenticator.pk}),
        button="Remove passkey",
        cancel_url=reverse("mfa_list_webauthn"),
    )
