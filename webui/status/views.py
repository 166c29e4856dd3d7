"""The team status page and its machine-readable twins.

Every view reads the status document the poller cached (webui.status.document);
none calls JFrog ML, and /status.json and the badges do not touch the database
(except to check a share link, when one is used: webui.status.access).
"""

from __future__ import annotations

from typing import Any, NamedTuple
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_GET, require_http_methods

from webui.activity.models import Activity
from webui.activity.services import activity_record
from webui.status import document as status_document
from webui.status import incident_feed, pages, snapshot, svg
from webui.status import subscriptions as status_subscriptions
from webui.status.access import (
    can_manage_share_links,
    enter_share_link,
    link_for_token,
    remember_share_token,
    share_link_create,
    share_link_revoke,
    share_link_used,
    status_access,
)
from webui.status.document import Rollup
from webui.status.models import ShareLink

# ?label= on a badge: shields.io's convention, bounded (it is drawn, and measured).
LABEL_MAX = 100


def _cache_headers(request: HttpRequest, response: HttpResponse, *, max_age: float) -> HttpResponse:
    # Public status may sit in shared caches briefly; anything behind a login or a
    # share link must not (nor an answer to a share token, public or not: a shared
    # cache would go on serving it after the link is revoked).
    public = settings.POND_STATUS_PUBLIC and getattr(request, "status_share_link", None) is None
    response["Cache-Control"] = (
        f"{'public' if public else 'private'}, max-age={max(1, int(max_age))}"
    )
    response["Vary"] = "Cookie"
    return response


def _bad_request(message: str) -> HttpResponse:
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


def _page_number(request: HttpRequest) -> int | HttpResponse:
    raw = request.GET.get("page", "1")
    try:
        number = int(raw)
    except ValueError:
        number = 0
    if number < 1:
        return _bad_request("page: expected a whole number of 1 or more.")
    return number


@require_GET
@status_access(page=True)
def status_page(request: HttpRequest) -> HttpResponse:
    page = _page_number(request)
    if isinstance(page, HttpResponse):
        return page
    response = HttpResponse(
        pages.render(pages.viewer(request), page, full=True, embed=pages.embed_for(request))
    )
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@status_access(page=True)
def status_partial(request: HttpRequest) -> HttpResponse:
    """The page's live part, re-fetched by static/status/status.js."""
    page = _page_number(request)
    if isinstance(page, HttpResponse):
        return page
    response = HttpResponse(
        pages.render(pages.viewer(request), page, full=False, embed=pages.embed_for(request))
    )
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
    return _cache_headers(request, response, max_age=min(settings.POND_POLL_INTERVAL, 5))


# --- badges -----------------------------------------------------------------------


class _BadgeSet:
    """One document's badge entries, and each badge drawn in a default form once made
    (per document, so bounded by its deployments and models; a `?label=` is drawn per
    request and never kept, so made-up labels cannot grow memory)."""

    def __init__(self, value: dict[str, Any]) -> None:
        self.deployments: dict[str, tuple[str, str, bool]] = value["badges"]
        self.models: dict[str, Rollup] = value["models"]
        self.overall: Rollup = value["overall"]
        self.drawn: dict[tuple, bytes] = {}


def _badge_set(meta: dict[str, Any]) -> _BadgeSet:
    return snapshot.by_stamp(
        "badge-set", status_document.BADGES_KEY, snapshot.stamp_of(meta), _BadgeSet
    )


class _BadgeOptions(NamedTuple):
    label: str | None  # None: the badge's own label
    style: str


def _badge_options(request: HttpRequest) -> _BadgeOptions | HttpResponse:
    style = request.GET.get("style", svg.STYLES[0])
    if style not in svg.STYLES:
        return _bad_request(f"style: expected one of {', '.join(svg.STYLES)}.")
    label = request.GET.get("label")
    if label is not None and len(label) > LABEL_MAX:
        return _bad_request(f"label: at most {LABEL_MAX} characters.")
    return _BadgeOptions(label, style)


def _deployment_face(entry: tuple[str, str, bool]) -> tuple[str, str, str]:
    name, status, confirmed = entry
    return name, status if confirmed else f"{status} (unconfirmed)", svg.colour(status)


def _rollup_face(entry: Rollup) -> tuple[str, str, str]:
    if entry.status is None:
        return entry.label, "no deployments", svg.NO_DATA
    message = (
        entry.status
        if entry.count == entry.total
        else f"{entry.count} of {entry.total} {entry.status}"
    )
    if not entry.confirmed:
        message += " (unconfirmed)"
    return entry.label, message, svg.colour(entry.status)


def _badge(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    """The badge of a deployment, a model or everything (`kind`), shields.io-style."""
    options = _badge_options(request)
    if isinstance(options, HttpResponse):
        return options
    max_age = min(settings.POND_POLL_INTERVAL, 5)
    meta = snapshot.meta()
    badges = _badge_set(meta)
    if kind == "deployment":
        entry = badges.deployments.get(key)
        face = None if entry is None else _deployment_face(entry)
    elif kind == "model":
        entry = badges.models.get(key)
        face = None if entry is None else _rollup_face(entry)
    else:
        face = _rollup_face(badges.overall)
    if face is None:
        label = kind if options.label is None else options.label
        text = svg.badge_svg(label, "not found", svg.COLOURS["gone"], style=options.style)
        response = HttpResponse(text, content_type="image/svg+xml", status=404)
        return _cache_headers(request, response, max_age=settings.POND_POLL_INTERVAL)
    stale = snapshot.freshness(meta).stale
    if stale:
        face = (face[0], "unknown", svg.COLOURS["unknown"])
    if options.label is not None:
        image = svg.badge_svg(options.label, face[1], face[2], style=options.style).encode()
    else:
        drawn_key = (kind, key, stale, options.style)
        image = badges.drawn.get(drawn_key)
        if image is None:
            image = svg.badge_svg(*face, style=options.style).encode()
            badges.drawn[drawn_key] = image
    response = HttpResponse(image, content_type="image/svg+xml")
    return _cache_headers(request, response, max_age=max_age)


@require_GET
@status_access()
def status_badge(request: HttpRequest, deployment_id: str) -> HttpResponse:
    return _badge(request, "deployment", deployment_id)


@require_GET
@status_access()
def status_model_badge(request: HttpRequest, model_id: str) -> HttpResponse:
    """The worst status of the model's deployments."""
    return _badge(request, "model", model_id)


@require_GET
@status_access()
def status_overall_badge(request: HttpRequest) -> HttpResponse:
    """The worst status over every deployment on the page."""
    return _badge(request, "overall", "")


@require_GET
@status_access()
def status_bar(request: HttpRequest, deployment_id: str) -> HttpResponse:
    text = snapshot.bar(deployment_id)
    if text is None:
        raise Http404("No such deployment on the status page.")
    response = HttpResponse(text, content_type="image/svg+xml")
    return _cache_headers(request, response, max_age=settings.POND_STATUS_HISTORY_TTL)


@require_GET
@status_access()
def status_feed(request: HttpRequest) -> HttpResponse:
    # ?model= / ?deployment=: the entries a subscription of that scope would hear about.
    only = status_subscriptions.feed_filter(request.GET)
    if isinstance(only, str):
        return _bad_request(only)
    doc = snapshot.document()
    token = request.status_share_token if request.status_share_link is not None else None
    # A feed read with a share link's token links to the page through that link.
    page_url = request.build_absolute_uri(
        reverse("status_share_enter", args=[token]) if token else reverse("status_page")
    )
    feed = Atom1Feed(
        title="Pond deployment incidents" + only.title_suffix,
        link=page_url,
        description="Failures and recoveries of the deployments on Pond's status page.",
        feed_url=request.build_absolute_uri(request.get_full_path()),
        feed_guid=page_url + "#incidents" + (f"?{urlencode({only.scope: only.target_id})}" if only.target_id else ""),
        language="en",
    )
    for incident in filter(only.keeps, doc["incidents"]):
        started = status_document.parse_iso(incident["started_at"])
        feed.add_item(
            title=incident_feed.title(incident),
            link=f"{page_url}#incident-{incident['id']}",
            # Atom's summary is type="html": readers render it after unescaping the XML,
            # so the text is HTML-escaped once more.
            description=incident_feed.summary_html(incident),
            unique_id=f"{page_url}#incident-{incident['id']}",
            pubdate=started,
            # Moves with every acknowledgement, update and recovery: readers notice.
            updateddate=status_document.parse_iso(incident.get("last_changed_at")) or started,
        )
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    feed.write(response, "utf-8")
    return _cache_headers(request, response, max_age=settings.POND_POLL_INTERVAL)


@require_GET
def share_link_enter(request: HttpRequest, token: str) -> HttpResponse:
    link = link_for_token(token)
    if link is None:
        return render(
            request, "status/share_invalid.html", {"viewer": pages.viewer(request)}, status=403
        )
    share_link_used(link=link)
    enter_share_link(request, link)
    return remember_share_token(redirect("status_page"), token)


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
        user=request.user,
        action=Activity.SHARED,
        kind=Activity.SHARE_LINK,
        object_id=link.pk,
        object_name=label,
    )
    # The token exists only in this response: the database keeps its hash. Besides the
    # link for people, what machines keep (a feed reader, a README badge).
    created_urls = [
        ("Link to the status page", reverse("status_share_enter", args=[token])),
        ("Atom feed of incidents", reverse("status_feed_shared", args=[token])),
        ("status.json", reverse("status_json_shared", args=[token])),
        ("Overall badge", reverse("status_overall_badge_shared", args=[token])),
    ]
    return render(
        request,
        "status/share_links.html",
        _share_links_context(
            request,
            created=link,
            created_url=request.build_absolute_uri(created_urls[0][1]),
            created_urls=[
                (f"created-url-{index}", name, request.build_absolute_uri(url))
                for index, (name, url) in enumerate(created_urls)
            ],
        ),
        status=201,
    )


# The revoke form's confirmation: a POST without it revokes nothing.
REVOKE_CONFIRM = "confirm"


@login_required
@require_http_methods(["GET", "POST"])
def share_link_revoke_view(request: HttpRequest, link_id: int) -> HttpResponse:
    """GET: what revoking this link does, and the form that does it; POST: revoke,
    if the form's confirmation is there (plain HTML: no JavaScript needed)."""
    if not can_manage_share_links(request.user):
        return render(
            request, "status/share_forbidden.html", {"viewer": pages.viewer(request)}, status=403
        )
    link = ShareLink.objects.filter(pk=link_id).first()
    if link is None:
        raise Http404("No such share link.")
    if request.method == "GET" or request.POST.get(REVOKE_CONFIRM) != "yes":
        errors = []
        if request.method == "POST":
            errors.append(
                f"{REVOKE_CONFIRM}: confirm with this page's Revoke button; nothing was revoked."
            )
        return render(
            request,
            "status/share_link_revoke.html",
            {"link": link, "errors": errors, "viewer": pages.viewer(request)},
            status=400 if errors else 200,
        )
    if share_link_revoke(link_id=link_id):
        activity_record(
            user=request.user,
            action=Activity.REVOKED,
            kind=Activity.SHARE_LINK,
            object_id=link.pk,
            object_name=link.label,
        )
        messages.success(request, f"Revoked “{link.label}”: it stopped working everywhere.")
    return redirect("status_share_links")
