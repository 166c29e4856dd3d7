"""Mounted at accounts/, before webui.core.accounts: the provider's sign-in, and the
login and logout pages with single sign-on (same URLs and names as Django's)."""

from __future__ import annotations

from django.urls import path

from webui.sso import views

urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("oidc/start/", views.SignInStartView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", views.SignInCallbackView.as_view(), name="oidc_authentication_callback"),
]
