"""Sign-in through the provider, sign-out, and password sign-in when it is switched off.

Every way a sign-in can fail ends on a page that says what happened and what to do
(templates/sso/problem.html) with a 4xx or 503 status, never a 500.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin, auth
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.views.decorators.http import require_POST
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from webui.sso.backend import library_setting
from webui.sso.errors import SignInError, SignInInvalid, SignInRefused
from webui.sso.provider import local_login_allowed, provider_metadata, sso_enabled

log = logging.getLogger("pond.sso")

SESSION_ID_TOKEN = "sso_id_token"  # noqa: S105 - a session key's name


def _problem(request: HttpRequest, error: SignInError) -> HttpResponse:
    return render(
        request,
        "sso/problem.html",
        {
            "status": error.status,
            "title": error.title,
            "message": error.message,
            "provider": settings.POND_OIDC_NAME,
        },
        status=error.status,
    )


class SignInStartView(OIDCAuthenticationRequestView):
    """Send the browser to the provider with a fresh state, nonce and PKCE challenge."""

    get_settings = staticmethod(library_setting)

    def __init__(self, **kwargs) -> None:
        # The library reads the endpoint from settings here; Pond reads it from discovery.
        super(OIDCAuthenticationRequestView, self).__init__(**kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            metadata = provider_metadata()
        except SignInError as exc:
            log.warning("sso sign-in could not start: %s", exc.message)
            return _problem(request, exc)
        self.OIDC_OP_AUTH_ENDPOINT = metadata.authorization_endpoint
        self.OIDC_RP_CLIENT_ID = settings.POND_OIDC_CLIENT_ID
        return super().get(request)


class SignInCallbackView(OIDCAuthenticationCallbackView):
    """The provider's answer: check it, sign the person in, or say why not."""

    get_settings = staticmethod(library_setting)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            raise Http404("Single sign-on is not configured.")
        states = request.session.get("oidc_states")
        states = states if isinstance(states, dict) else {}
        state = request.GET.get("state", "")
        if request.GET.get("error"):
            if state in states:  # this attempt is over: its state must not be used again
                del states[state]
                request.session.modified = True
            return _problem(request, _provider_said_no(request))
        if not state or not request.GET.get("code"):
            return _problem(
                request, SignInInvalid("This address is missing part of the provider's answer.")
            )
        if state not in states:
            # Forged, replayed, or from a sign-in this browser did not start (or whose
            # session has ended since): nothing here may be trusted.
            log.warning("sso callback with an unknown state")
            return _problem(
                request,
                SignInInvalid(
                    "This sign-in was not started from this browser, or it was already finished. Sign in again."
                ),
            )
        try:
            return super().get(request)
        except SignInError as exc:
            log.warning("sso sign-in failed (%s): %s", type(exc).__name__, exc.message)
            return _problem(request, exc)

    def login_success(self) -> HttpResponse:
        request = self.request
        next_url = self.success_url  # read before auth.login() may renew the session
        auth.login(request, self.user)
        request.session[SESSION_ID_TOKEN] = getattr(self.user, "sso_id_token", "")
        request.session.set_expiry(settings.POND_OIDC_SESSION_SECONDS)
        log.info("sso sign-in: %s", self.user.get_username())
        return HttpResponseRedirect(next_url)

    def login_failure(self) -> HttpResponse:
        return _problem(
            self.request, SignInRefused("Pond could not sign you in with this account.")
        )


def _provider_said_no(request: HttpRequest) -> SignInError:
    # Whatever the address says, as one line of plain text (it goes to the log and the page).
    error = " ".join(request.GET.get("error", "").split())[:100]
    description = " ".join(request.GET.get("error_description", "").split())[:300]
    log.info("sso: the provider answered %s (%s)", error, description)
    if error in ("access_denied", "login_required", "consent_required", "interaction_required"):
        return SignInRefused(
            f"{settings.POND_OIDC_NAME} did not sign you in{': ' + description if description else ''}. "
            "You can try again."
        )
    return SignInInvalid(
        f"{settings.POND_OIDC_NAME} refused the sign-in request ({error}"
        f"{': ' + description if description else ''}). A Pond administrator should check its settings."
    )


_password_login = auth_views.LoginView.as_view()
_password_logout = auth_views.LogoutView.as_view()


def login(request: HttpRequest) -> HttpResponse:
    """Django's login page (it offers the provider's button), without password sign-in
    when POND_LOCAL_LOGIN is off."""
    if request.method == "POST" and not local_login_allowed():
        return _problem(request, _local_login_off())
    return _password_login(request)


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's password form, or, when password sign-in is off, Pond's login page."""
    if local_login_allowed():
        return admin.site.login(request)
    if request.method == "POST":
        return _problem(request, _local_login_off())
    query = urlencode({"next": request.GET.get("next") or reverse("admin:index")})
    return HttpResponseRedirect(f"{resolve_url(settings.LOGIN_URL)}?{query}")


def _local_login_off() -> SignInRefused:
    return SignInRefused(
        f"Password sign-in is switched off here. Sign in with {settings.POND_OIDC_NAME}."
    )


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """End the Pond session and, where the provider offers it, the provider's too."""
    id_token = request.session.get(SESSION_ID_TOKEN)
    if not id_token or not sso_enabled():
        return _password_logout(request)
    auth.logout(request)
    context = {"provider": settings.POND_OIDC_NAME, "end_session_url": ""}
    try:
        metadata = provider_metadata()
    except SignInError as exc:
        log.warning("sso sign-out: provider not reached: %s", exc.message)
        return render(request, "sso/signed_out.html", {**context, "provider_down": True})
    if not metadata.end_session_endpoint:
        return HttpResponseRedirect(resolve_url(settings.LOGOUT_REDIRECT_URL))
    query = urlencode(
        {
            "id_token_hint": id_token,
            "client_id": settings.POND_OIDC_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(
                resolve_url(settings.LOGOUT_REDIRECT_URL)
            ),
        }
    )
    separator = "&" if "?" in metadata.end_session_endpoint else "?"
    context["end_session_url"] = f"{metadata.end_session_endpoint}{separator}{query}"
    # A page that moves on by itself rather than a redirect: the sign-out form's POST may
    # only lead to Pond's own pages (Content-Security-Policy form-action 'self'), while a
    # Refresh starts a new navigation that may go to the provider.
    response = render(request, "sso/signed_out.html", context)
    response["Refresh"] = f"0; url={context['end_session_url']}"
    return response
