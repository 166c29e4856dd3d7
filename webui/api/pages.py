"""The page where each person makes and revokes their personal API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from webui.api import tokens


def _page(request: HttpRequest, *, status: int = 200, **extra) -> HttpResponse:
    context = {
        "tokens": tokens.tokens_of(request.user),
        "pond_url": request.build_absolute_uri("/").rstrip("/"),
        "api_base": request.build_absolute_uri("/api/v1/"),
        "section": "tokens",
        **extra,
    }
    response = render(request, "api/tokens.html", context, status=status)
    # The one answer that holds a new token: never kept by a cache or the browser's history.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request)
    name = request.POST.get("name", "")
    try:
        record, token = tokens.token_create(user=request.user, name=name)
    except tokens.TokenRefused as exc:
        return _page(request, status=400, errors={exc.field: exc.message}, name=name)
    return _page(request, created=record, token=token)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        record = tokens.token_revoke(user=request.user, token_id=token_id)
    except tokens.TokenRefused as exc:
        return _page(request, status=404, errors={exc.field: exc.message})
    messages.success(request, f"Revoked “{record.name}”: it stopped working at once.")
    return redirect("api_tokens:list")
