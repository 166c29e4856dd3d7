"""The team status page and its machine-readable twins.

Every view reads the status document the poller cached (webui.status.document);
none calls JFrog ML, and /status.json and the badges do not touch the database.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from webui.activity.models import Activity
from webui.activity.services import activity_record
from webui.status import document as status_document
from webui.status import pages, snapshot, svg
from webui.status.access import (
    can_manage_share_links,
    enter_share_link,
    link_for_token,
    share_link_create,
    share_link_revoke,
    status_access,
)
from webui.status.models import ShareLink


def _cache_headers(response: HttpResponse, *, max_age: float) -> HttpResponse:
    # Public status may sit in shared caches briefly; anything behind a login or a
    # share link must not.
    scope = "public" if settings.POND_STATUS_PUBLIC else "private"
    response["Cache-Control"] = f"{scope}, max-age={max(1, int(max_age))}"
    response["Vary"] = "Cookie"
    return response


def _page_number(request: HttpRequest) -> int | HttpResponse:
    raw = request.GET.get("page", "1")
    try:
        number = int(raw)
    except ValueError:
        number = 0
    if number < 1:
        return HttpResponseBadRequest(
            "page: expected a whole number of 1 or more.", content_type="text/plain; charset=utf-8"
        )
    return number


@require_GET
@status_access(page=True)
def status_page(request: HttpRequest) -> HttpResponse:
    page = _page_number(request)
    if isinstance(page, HttpResponse):
        return page
    response = HttpResponse(pages.render(pages.viewer(request), page, full=True))
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@status_access(page=True)
def status_partial(request: HttpRequest) -> HttpResponse:
    """The page's live part, re-fetched by static/status/status.js."""
    page = _page_number(request)
    if isinstance(page, HttpResponse):
        return page
    response = HttpResponse(pages.render(pages.viewer(request), page, full=False))
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@status_access()
def status_json(request: HttpRequest) -> HttpResponse:
    meta = snapshot.meta()
    fresh = snapshot.shown_to(snapshot.freshness(meta), staff=request.user.is_staff)
    bodies = snapshot.json_bodies(meta)
    # This URL is hit hard: the document's body is encoded once per publish, and only
    # the small envelope saying how fresh it is is made per request, then spliced.
    head = snapshot.envelope(fresh).encode()
    content = head[:-1] + (bodies.stale if fresh.stale else bodies.fresh)
    response = HttpResponse(content, content_type="application/json")
    return _cache_headers(response, max_age=min(settings.POND_POLL_INTERVAL, 5))


@require_GET
@status_access()
def status_badge(request: HttpRequest, deployment_id: str) -> HttpResponse:
    meta = snapshot.meta()
    badges = snapshot.badges(meta)
    entry = badges.entries.get(deployment_id)
    if entry is None:
        text = svg.badge_svg("deployment", "not found", svg.COLOURS["gone"])
        response = HttpResponse(text, content_type="image/svg+xml", status=404)
        return _cache_headers(response, max_age=settings.POND_POLL_INTERVAL)
    stale = snapshot.freshness(meta).stale
    image = badges.svg.get((deployment_id, stale))
    if image is None:
        name, status, confirmed = entry
        if stale:
            message, fill = "unknown", svg.COLOURS["unknown"]
        else:
            message = status if confirmed else f"{status} (unconfirmed)"
            fill = svg.colour(status)
        image = svg.badge_svg(name, message, fill).encode()
        badges.svg[(deployment_id, stale)] = image
    response = HttpResponse(image, content_type="image/svg+xml")
    return _cache_headers(response, max_age=min(settings.POND_POLL_INTERVAL, 5))


@require_GET
@status_access()
def status_bar(request: HttpRequest, deployment_id: str) -> HttpResponse:
    text = snapshot.bar(deployment_id)
    if text is None:
        raise Http404("No such deployment on the status page.")
    response = HttpResponse(text, content_type="image/svg+xml")
    return _cache_headers(response, max_age=settings.POND_STATUS_HISTORY_TTL)


@require_GET
@status_access()
def status_feed(request: HttpRequest) -> HttpResponse:
    doc = snapshot.document()
    token = (request.resolver_match.kwargs if request.resolver_match else {}).get("share_token")
    # A feed read with a share link's token links to the page through that link.
    page_url = request.build_absolute_uri(
        reverse("status_share_enter", args=[token]) if token else reverse("status_page")
    )
    feed = Atom1Feed(
        title="Pond deployment incidents",
        link=page_url,
        description="Failures and recoveries of the deployments on Pond's status page.",
        feed_url=request.build_absolute_uri(request.path),
        feed_guid=page_url + "#incidents",
        language="en",
    )
    for incident in doc["incidents"]:
        started = status_document.parse_iso(incident["started_at"])
        ended = status_document.parse_iso(incident["ended_at"])
        name = incident["deployment_name"]
        if ended:
            title = f"{name} recovered ({incident['recovered_to']}) after {pages.duration(incident['duration_seconds'])} {incident['status']}"
        else:
            title = f"{name} is {incident['status']}"
        description = (
            f"Deployment {name} ({incident['deployment_id']}) of model {incident['model_id'] or '?'}, "
            f"version {incident['version_id'] or '?'}: {incident['status']} from {incident['started_at']}"
            + (f" until {incident['ended_at']}." if ended else ", ongoing.")
        )
        feed.add_item(
            title=title,
            link=f"{page_url}#incident-{incident['id']}",
            # Atom's summary is type="html": readers render it after unescaping the XML,
            # so the text is HTML-escaped once more.
            description=escape(description),
            unique_id=f"{page_url}#incident-{incident['id']}",
            pubdate=started,
            updateddate=ended or started,
        )
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    feed.write(response, "utf-8")
    return _cache_headers(response, max_age=settings.POND_POLL_INTERVAL)


@require_GET
def share_link_enter(request: HttpRequest, token: str) -> HttpResponse:
    link = link_for_token(token)
    if link is None:
        return render(
            request, "status/share_invalid.html", {"viewer": pages.viewer(request)}, status=403
        )
    enter_share_link(request, link)
    return redirect("status_page")


def _share_links_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {
        "links": ShareLink.objects.all()[:200],
        "now": timezone.now(),
        "viewer": pages.viewer(request),
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def share_links(request: HttpRequest) -> HttpResponse:
    if not can_manage_share_links(request.user):
        return render(
            request, "status/share_forbidden.html", {"viewer": pages.viewer(request)}, status=403
        )
    if request.method == "GET":
        return render(request, "status/share_links.html", _share_links_context(request))
    label = request.POST.get("label", "").strip()
    errors = []
    if not label:
        errors.append("label: give the link a label, so you know whom you gave it to.")
    elif len(label) > 200:
        errors.append("label: at most 200 characters.")
    if errors:
        return render(
            request,
            "status/share_links.html",
            _share_links_context(request, errors=errors, label=label),
            status=400,
        )
    link, token = share_link_create(label=label, created_by=request.user.get_username())
    activity_record(
        user=request.user, action=Activity.SHARED, kind=Activity.SHARE_LINK, object_id=link.pk, object_name=label
    )
    url = request.build_absolute_uri(reverse("status_share_enter", args=[token]))
    # The token exists only in this response: the database keeps its hash.
    return render(
        request,
        "status/share_links.html",
        _share_links_context(request, created=link, created_url=url),
        status=201,
    )


@login_required
@require_POST
def share_link_revoke_view(request: HttpRequest, link_id: int) -> HttpResponse:
    if not can_manage_share_links(request.user):
        return render(
            request, "status/share_forbidden.html", {"viewer": pages.viewer(request)}, status=403
        )
    link = ShareLink.objects.filter(pk=link_id).first()
    if link is None:
        raise Http404("No such share link.")
    if share_link_revoke(link_id=link_id):
        activity_record(
            user=request.user, action=Activity.REVOKED, kind=Activity.SHARE_LINK, object_id=link.pk, object_name=link.label
        )
    return redirect("status_share_links")
