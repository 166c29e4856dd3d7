"""Who may see the status pages: everyone (POND_STATUS_PUBLIC), logged-in users, or
holders of a share link.

A share link grants the status pages and nothing else: it never logs anyone in;
the session only remembers which link was used (SESSION_KEY), and only the status
views read that key. Every request re-checks that the link is not revoked (cached
briefly, and the cache entry is dropped on revocation).
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils import timezone

from webui.status.models import ShareLink

SESSION_KEY = "pond_status_share_link"
SHARE_PARAM = "share"
_ACTIVE_TTL = 30


def can_manage_share_links(user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.has_perm("status.manage_share_links"))
    )


def share_link_create(*, label: str, created_by: str = "") -> tuple[ShareLink, str]:
    """A new link and its token (shown once: only the token's hash is kept)."""
    token = secrets.token_urlsafe(32)
    link = ShareLink.objects.create(
        label=label, token_hash=ShareLink.hash_token(token), created_by=created_by
    )
    return link, token


def share_link_revoke(*, link_id: int) -> bool:
    """Revoke a link; returns False when it did not exist or was already revoked."""
    changed = ShareLink.objects.filter(pk=link_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    cache.delete(_active_key(link_id))
    return bool(changed)


def link_for_token(token: str) -> ShareLink | None:
    if not token or len(token) > 200:
        return None
    return ShareLink.objects.filter(
        token_hash=ShareLink.hash_token(token), revoked_at__isnull=True
    ).first()


def _active_key(link_id: int) -> str:
    return f"status:share-link-active:{link_id}"


def _link_active(link_id: int) -> bool:
    key = _active_key(link_id)
    active = cache.get(key)
    if active is None:
        active = ShareLink.objects.filter(pk=link_id, revoked_at__isnull=True).exists()
        cache.set(key, active, timeout=_ACTIVE_TTL)
    return bool(active)


def has_share_session(request: HttpRequest) -> bool:
    link_id = request.session.get(SESSION_KEY)
    return isinstance(link_id, int) and _link_active(link_id)


def enter_share_link(request: HttpRequest, link: ShareLink) -> None:
    request.session[SESSION_KEY] = link.pk


def status_access(*, page: bool = False) -> Callable:
    """Guard a status view. `page`: an HTML page (anonymous users go to the login form;
    a `?share=` token is moved into the session and dropped from the URL)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            # A machine endpoint takes the token in its path (/status/s/<token>/feed.atom:
            # what a feed reader or a README keeps) or as ?share=.
            in_path = kwargs.pop("share_token", None)
            token = in_path if in_path is not None else request.GET.get(SHARE_PARAM)
            if token is not None:
                link = link_for_token(token)
                if link is None:
                    return _forbidden(
                        "share: this share link is not valid, or it has been revoked."
                    )
                if page and in_path is None:
                    enter_share_link(request, link)
                    query = request.GET.copy()
                    del query[SHARE_PARAM]
                    target = request.path + (f"?{urlencode(query, doseq=True)}" if query else "")
                    response = HttpResponse(status=303)
                    response["Location"] = target
                    return response
                # Machine endpoints (JSON, badges in a README, the feed) carry the
                # token on every request and leave the session alone.
                return view(request, *args, **kwargs)
            if (
                settings.POND_STATUS_PUBLIC
                or request.user.is_authenticated
                or has_share_session(request)
            ):
                return view(request, *args, **kwargs)
            if page:
                return redirect_to_login(request.get_full_path())
            return _forbidden("This status page is not public: log in, or use a share link.")

        return wrapper

    return decorator


def _forbidden(message: str) -> HttpResponse:
    response = HttpResponseForbidden(message, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response
