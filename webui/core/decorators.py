"""View decorators: rights, and what a page does when JFrog ML fails it."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from webui.jfrogml.answers import shown_url
from webui.jfrogml.errors import Forbidden, JFrogMLError, NotFound, Unauthorized

log = logging.getLogger("pond.dashboard")

View = Callable[..., HttpResponse]


def authorize(perm: str) -> Callable[[View], View]:
    """Refuse with 403 unless the (logged-in) user holds `perm`.

    Unlike `permission_required`, it never redirects a logged-in user to the
    login page: they are who they are, they just may not do this.
    """

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.has_perm(perm):
                raise PermissionDenied(f"You need the {perm.split('.')[-1]} right for this.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def upstream_page(view: View) -> View:
    """Turn JFrog ML failures into pages a person can act on, never a 500.

    Unknown ids are a 404; anything else (down, slow, garbage, refused) is a 503
    page saying JFrog ML is not answering, with a retry link. Services only raise
    `Unavailable` when nothing at all is cached, so stale data is still shown by
    the view itself with its age.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(getattr(exc, "message", "") or "Not found") from exc
        except JFrogMLError as exc:
            log.warning("page %s failed upstream: %s", request.path, exc)
            return render(
                request,
                "dashboard/unavailable.html",
                {
                    "error": getattr(exc, "message", "") or str(exc),
                    # Where Pond asked, and the setting that says so.
                    "upstream_url": shown_url(settings.JFROG_ML_URL),
                    "upstream_setting": "JFROG_ML_URL" if settings.JFROG_ML_URL_CONFIGURED else "POND_SELF_URL",
                    # A refused token is not an outage: the page says what to fix.
                    "refused": isinstance(exc, Unauthorized | Forbidden),
                },
                status=503,
            )

    return wrapper
