"""Mounted at /accounts/tokens/ by webui.urls."""

from __future__ import annotations

from django.urls import path

from webui.api import pages

app_name = "api_tokens"

urlpatterns = [
    path("", pages.token_list, name="list"),
    path("<int:token_id>/revoke", pages.token_revoke, name="revoke"),
]
