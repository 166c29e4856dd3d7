"""The account pages Pond supports: log in, log out, change password.

Password reset is not mounted: it needs email, which Pond does not send. Changing
a password checks the old one, which makes the form a password oracle; wrong old
passwords count as failed logins for that account from that address (django-axes),
so the same lockout and cool-off apply as on the login form.
"""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import user_logged_in, user_login_failed, views
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.urls import path

from webui.core.throttling import lockout_message


class ThrottledPasswordChangeForm(PasswordChangeForm):
    def clean_old_password(self):
        credentials = {"username": self.user.get_username()}
        if AxesProxyHandler.is_locked(self.request, credentials):
            raise self.locked_out()
        try:
            return super().clean_old_password()
        except ValidationError:
            user_login_failed.send(sender=__name__, credentials=credentials, request=self.request)
            raise

    def locked_out(self) -> ValidationError:
        return ValidationError(lockout_message(), code="locked_out")


class PasswordChangeView(views.PasswordChangeView):
    form_class = ThrottledPasswordChangeForm

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.request = self.request
        return form

    def form_invalid(self, form) -> HttpResponse:
        response = super().form_invalid(form)
        if any(e.code == "locked_out" for e in form.errors.as_data().get("old_password", [])):
            response.status_code = 429
        return response

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        # The right old password: the account's failures from here are forgiven, as on login.
        user_logged_in.send(sender=type(self.request.user), request=self.request, user=self.request.user)
        return response


urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password_change/", PasswordChangeView.as_view(), name="password_change"),
    path("password_change/done/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]
