"""The one gate of the status pages that act (maintenance, subscriptions): only people who
may operate (webui.status.access.can_operate) get past it."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from webui.status import pages
from webui.status.access import can_operate


def operators_only(
    forbidden_template: str, *, login_for_post: bool = True
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Whoever is not logged in (a share-link holder too: a link grants the status pages
    only) is sent to log in; a signed-in person who may not operate gets
    `forbidden_template` (403). With `login_for_post=False`, an anonymous POST is a plain
    403 instead of a redirect. Nothing past the gate is cached by a browser."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            anonymous = not request.user.is_authenticated
            if anonymous and (login_for_post or request.method != "POST"):
                return redirect_to_login(request.get_full_path())
            if anonymous or not can_operate(request.user):
                response = render(
                    request, forbidden_template, {"viewer": pages.viewer(request)}, status=403
                )
            else:
                response = view(request, *args, **kwargs)
            response["Cache-Control"] = "no-store"
            return response

        return wrapper

    return decorate
