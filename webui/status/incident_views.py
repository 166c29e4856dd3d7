"""One incident's page (its timeline, the version that was serving, the promotion
before it) and the two writes on it: acknowledge, and post an update.

Reading is for whoever may see the status page (a share-link holder too: the page is
under /status/ and guarded like it, webui.status.access.status_access). Writing is
for those who may operate (access.can_operate): a signed-in viewer gets a 403 and sees
no forms, someone not signed in (a share-link holder included: a link never logs
anyone in) is sent to the login form.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from webui.status import incidents, pages
from webui.status.access import can_operate, status_access
from webui.status.models import Incident, IncidentUpdate


def _page(
    request: HttpRequest, incident_id: int, *, status: int = 200, **extra: Any
) -> HttpResponse:
    found = incidents.incident_read(incident_id=incident_id)
    if found is None:
        raise Http404("No such incident.")
    # Who promoted what, and the review behind it, is Pond's record, not status: shown to
    # people signed in to Pond, never to a share-link holder or on a public page.
    promotion = found["promotion"] if request.user.is_authenticated else None
    if promotion is not None:
        entry = promotion["entry"]
        promotion = {
            **promotion,
            "audit_url": f"{reverse('reviews:audit')}?{urlencode(promotion['query'])}",
            "request_url": reverse("reviews:detail", args=[entry.request_id])
            if entry.request_id
            else None,
        }
    context = {
        **found,
        "promotion": promotion,
        "viewer": pages.viewer(request),
        "can_operate": can_operate(request.user),
        "state_choices": IncidentUpdate.STATE_CHOICES,
        "text_max": IncidentUpdate.TEXT_MAX,
        "errors": {},
        "values": {},
        **extra,
    }
    response = render(request, "status/incident.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@status_access(page=True)
def incident_page(request: HttpRequest, incident_id: int) -> HttpResponse:
    return _page(request, incident_id)


def _operators_post(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Not signed in: the login form; signed in without the right: 403; then POST only."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, incident_id: int) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(reverse("status_incident", args=[incident_id]))
        if not can_operate(request.user):
            response = render(
                request,
                "status/incident_forbidden.html",
                {"viewer": pages.viewer(request)},
                status=403,
            )
            response["Cache-Control"] = "no-store"
            return response
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not Incident.objects.filter(pk=incident_id).exists():
            raise Http404("No such incident.")
        return view(request, incident_id)

    return wrapper


@_operators_post
def incident_acknowledge(request: HttpRequest, incident_id: int) -> HttpResponse:
    try:
        incidents.incident_acknowledge(incident_id=incident_id, user=request.user)
    except incidents.IncidentRefused as refused:
        return _page(request, incident_id, status=400, errors=refused.errors)
    messages.success(
        request, "Acknowledged: the status page and the subscribers now say someone is on it."
    )
    return redirect("status_incident", incident_id=incident_id)


@_operators_post
def incident_update(request: HttpRequest, incident_id: int) -> HttpResponse:
    state = request.POST.get("state", "")
    text = request.POST.get("text", "")
    try:
        update = incidents.incident_update_add(
            incident_id=incident_id, user=request.user, state=state, text=text
        )
    except incidents.IncidentRefused as refused:
        return _page(
            request,
            incident_id,
            status=400,
            errors=refused.errors,
            values={"state": state, "text": text},
        )
    messages.success(
        request, "Update posted: it shows on the status page, in the feed and to the subscribers."
    )
    return redirect(f"{reverse('status_incident', args=[incident_id])}#update-{update.pk}")
