"""The maintenance page: schedule a window for a deployment or a model, see what is under
way and ahead, cancel one. For those who may operate the status page
(webui.status.access.can_operate). Everyone who sees the status page sees the windows
there (webui.status.pages); only here can they be changed.

A signed-in viewer gets a 403; someone not logged in (a share-link holder too: a link
grants the status pages only) is sent to log in on a GET and refused (403) on a POST,
which changes nothing either way."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from webui.status import maintenance as service
from webui.status import pages
from webui.status.models import MaintenanceWindow
from webui.status.operators import operators_only
from webui.status.subscriptions import targets

# The cancel form's confirmation: a POST without it cancels nothing.
CANCEL_CONFIRM = "confirm"
# Past and cancelled windows listed under the current ones.
RECENT_SHOWN = 20


_operators_only = operators_only("status/maintenance_forbidden.html", login_for_post=False)


def _context(request: HttpRequest, form: service.WindowForm) -> dict[str, Any]:
    now = timezone.now()
    current = list(MaintenanceWindow.objects.filter(ends_at__gt=now, cancelled_at__isnull=True))
    recent = MaintenanceWindow.objects.exclude(pk__in=[w.pk for w in current]).order_by(
        "-starts_at", "-id"
    )[:RECENT_SHOWN]
    return {
        "form": form,
        "field_errors": {
            name: form.error_for(name)
            for name in ("scope", "model", "deployment", "starts_at", "ends_at", "reason")
        },
        "targets": targets(),
        "scope_choices": MaintenanceWindow.SCOPE_CHOICES,
        "current": [{"w": w, "active": w.starts_at <= now} for w in current],
        "recent": list(recent),
        "reason_max": service.REASON_MAX,
        "max_days": service.MAX_LENGTH.days,
        "example_start": (now + timedelta(hours=1)).strftime(service.TIME_FORMAT),
        "viewer": pages.viewer(request),
    }


@require_http_methods(["GET", "POST"])
@_operators_only
def maintenance(request: HttpRequest) -> HttpResponse:
    """GET: the windows and the form; POST: schedule one."""
    if request.method == "GET":
        return render(request, "status/maintenance.html", _context(request, service.WindowForm()))
    form = service.WindowForm.from_post(request.POST)
    window = service.schedule(form=form, user=request.user)
    if window is None:
        return render(request, "status/maintenance.html", _context(request, form), status=400)
    messages.success(request, f"Maintenance scheduled: {service.describe(window)}.")
    return redirect("status_maintenance")


@require_http_methods(["GET", "POST"])
@_operators_only
def maintenance_cancel(request: HttpRequest, window_id: int) -> HttpResponse:
    """GET: what cancelling does, and the form that does it; POST: cancel, if the form's
    confirmation is there (plain HTML: no JavaScript needed)."""
    window = MaintenanceWindow.objects.filter(pk=window_id).first()
    if window is None:
        raise Http404("No such maintenance window.")
    now = timezone.now()
    if request.method == "GET" or request.POST.get(CANCEL_CONFIRM) != "yes":
        errors = []
        if request.method == "POST":
            errors.append(
                f"{CANCEL_CONFIRM}: confirm with this page's Cancel button; nothing was cancelled."
            )
        return render(
            request,
            "status/maintenance_cancel.html",
            {
                "window": window,
                "describe": service.describe(window),
                "over": window.cancelled_at is not None or window.ends_at <= now,
                "under_way": window.starts_at <= now,
                "errors": errors,
                "viewer": pages.viewer(request),
            },
            status=400 if errors else 200,
        )
    if service.cancel(window=window, user=request.user, now=now):
        messages.success(request, f"Maintenance cancelled: {service.describe(window)}.")
    else:
        messages.info(request, "That maintenance window was already over or cancelled.")
    return redirect("status_maintenance")
