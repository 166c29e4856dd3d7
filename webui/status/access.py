"""Who may see the status pages: everyone (POND_STATUS_PUBLIC), logged-in users, or
holders of a share link.

A share link grants the status pages and nothing else: it never logs anyone in.
It is used two ways:

- in a browser: `/status/s/<token>/` (or `?share=<token>` on the page) remembers the
  link's id in the session (SESSION_KEY), and the token itself in a cookie limited to
  the status pages (SHARE_COOKIE) so that the page can offer embed snippets carrying
  it; Pond itself keeps only the token's hash;
- in the path of every read-only document, for what keeps a URL and no session
  (feed readers, wall screens, badges in a README): `/status/s/<token>/status.json`,
  `.../feed.atom`, `.../badge.svg`, `.../badge/<id>.svg`, `.../badge/model/<id>.svg`,
  `.../bar/<id>.svg` (`?share=<token>` works too, but a path keeps the token out of
  query strings and Referer headers).

Every request made with a link reads the link's row (one indexed query): a revoked
link is refused at once, in every process, however it was revoked. There is no cache
in between, because a cached "still active" answer is a window in which a revoked
link keeps working (a reader that read the row just before the revocation committed
could write it back after the revocation cleared it).
"""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.urls import reverse
from django.utils import timezone

from webui.status.models import ShareLink

log = logging.getLogger(__name__)

SESSION_KEY = "pond_status_share_link"
SHARE_PARAM = "share"
# The token, in the browser that opened the link, for the page's embed snippets only:
# HttpOnly and sent to the status pages alone.
SHARE_COOKIE = "pond_status_share"
TOKEN_MAX = 200
# Use is recorded to the minute: at most one write a minute per link, however many
# badges a README shows.
LAST_USED_EVERY = timedelta(minutes=1)


def can_manage_share_links(user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.has_perm("status.manage_share_links"))
    )


def can_operate(user) -> bool:
    """May acknowledge and update incidents, schedule maintenance and manage status
    subscriptions: whoever may deploy (engineers, reviewers, admins), never a share-link
    holder or a viewer."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.has_perm("dashboard.deploy"))
    )


def share_link_create(*, label: str, created_by: str = "") -> tuple[ShareLink, str]:
    """A new link and its token (shown once: only the token's hash is kept)."""
    token = secrets.token_urlsafe(32)
    link = ShareLink.objects.create(
        label=label, token_hash=ShareLink.hash_token(token), created_by=created_by
    )
    return link, token


def share_link_revoke(*, link_id: int) -> bool:
    """Revoke a link; returns False when it did not exist or was already revoked.

    Effective at once everywhere: every use reads the row (nothing to invalidate)."""
    changed = ShareLink.objects.filter(pk=link_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    return bool(changed)


def link_for_token(token: str) -> ShareLink | None:
    """The active link this token opens, or None."""
    if not token or len(token) > TOKEN_MAX:
        return None
    return ShareLink.objects.filter(
        token_hash=ShareLink.hash_token(token), revoked_at__isnull=True
    ).first()


def share_link_used(*, link: ShareLink, now: datetime | None = None) -> None:
    """Record that `link` was used now, unless that was recorded less than a minute ago.

    The row was just read to check the link, so a recent use costs nothing; the update
    is conditional, so concurrent requests write it once."""
    now = now or timezone.now()
    if link.last_used_at is not None and now - link.last_used_at < LAST_USED_EVERY:
        return
    try:
        with transaction.atomic():  # a savepoint, should the caller be in a transaction
            written = (
                ShareLink.objects.filter(pk=link.pk)
                .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_EVERY))
                .update(last_used_at=now)
            )
    except DatabaseError:  # a bookkeeping write never refuses a reader (a locked SQLite)
        log.warning("could not record the use of share link %s", link.pk, exc_info=True)
        return
    if written:
        link.last_used_at = now


def share_session_link(request: HttpRequest) -> ShareLink | None:
    """The active link this browser opened, if any (read from the database every time)."""
    link_id = request.session.get(SESSION_KEY)
    if not isinstance(link_id, int):
        return None
    return ShareLink.objects.filter(pk=link_id, revoked_at__isnull=True).first()


def enter_share_link(request: HttpRequest, link: ShareLink) -> None:
    request.session[SESSION_KEY] = link.pk


def remember_share_token(response: HttpResponse, token: str) -> HttpResponse:
    """Keep the token in this browser for the page's embed snippets (see SHARE_COOKIE)."""
    response.set_cookie(
        SHARE_COOKIE,
        token,
        max_age=None if settings.SESSION_EXPIRE_AT_BROWSER_CLOSE else settings.SESSION_COOKIE_AGE,
        path=reverse("status_page"),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def _token_of(request: HttpRequest, link: ShareLink) -> str | None:
    token = request.COOKIES.get(SHARE_COOKIE, "")
    if token and len(token) <= TOKEN_MAX and ShareLink.hash_token(token) == link.token_hash:
        return token
    return None


def status_access(*, page: bool = False) -> Callable:
    """Guard a status view. `page`: an HTML page (anonymous users go to the login form;
    a `?share=` token is moved into the session and dropped from the URL).

    Sets `request.status_share_link` (the link a share holder came in with, else None)
    and `request.status_share_token` (its token, from the path, `?share=` or the
    browser that opened the link, when known): the page builds its embed snippets
    with them."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            request.status_share_link = request.status_share_token = None
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
                share_link_used(link=link)
                if page and in_path is None:
                    enter_share_link(request, link)
                    query = request.GET.copy()
                    del query[SHARE_PARAM]
                    target = request.path + (f"?{urlencode(query, doseq=True)}" if query else "")
                    response = HttpResponse(status=303)
                    response["Location"] = target
                    return remember_share_token(response, token)
                # Machine endpoints (JSON, badges in a README, the feed) carry the
                # token on every request and leave the session alone.
                request.status_share_link, request.status_share_token = link, token
                return view(request, *args, **kwargs)
            if settings.POND_STATUS_PUBLIC or request.user.is_authenticated:
                return view(request, *args, **kwargs)
            link = share_session_link(request)
            if link is not None:
                share_link_used(link=link)
                request.status_share_link = link
                request.status_share_token = _token_of(request, link)
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
