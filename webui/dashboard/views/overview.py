"""The overview: what needs attention across the registry."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from webui.core.decorators import upstream_page
from webui.insights import panels
from webui.jfrogml import services
from webui.reviews.selectors import models_left_without_production, pending_requests


@require_GET
@login_required
@upstream_page
def overview(request: HttpRequest) -> HttpResponse:
    data = services.overview()
    # Pond's own queue: promotion requests waiting for a reviewer, oldest first.
    requests = list(pending_requests()[:10])
    return render(
        request,
        "dashboard/overview.html",
        {
            "data": data,
            "pending_requests": requests,
            # A failed rollback left these without production: said first, at once.
            "without_production": models_left_without_production(),
            "attention": panels.attention(),
            "weekly": panels.weekly(),
        },
    )
