"""Why a sign-in through the provider did not happen, each with the page a person sees.

Every failure of the sign-in flow ends as one of these (mapped in one place,
`webui.sso.backend`), and `webui.sso.views` shows it: a page that says what happened
and what to do, with the right status; never a 500.
"""

from __future__ import annotations


class SignInError(Exception):
    status = 400
    title = "Sign-in did not work"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SignInInvalid(SignInError):
    """The answer that came back cannot be trusted or used: start again."""

    status = 400
    title = "This sign-in cannot be completed"


class SignInRefused(SignInError):
    """The provider vouched for the person, but Pond does not let them in."""

    status = 403
    title = "You cannot sign in to Pond"


class ProviderUnavailable(SignInError):
    """The provider did not answer (refused, timed out, or failing with a 5xx)."""

    status = 503
    title = "The sign-in provider is not answering"


class ProviderMisconfigured(SignInError):
    """The provider answered, but not as Pond's settings expect: an administrator's task."""

    status = 502
    title = "Single sign-on is not set up correctly"
