"""Mounted at /ml/api/ by webui.urls when the registry is embedded."""

from __future__ import annotations

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from registry import api_urls, views

urlpatterns = [
    *api_urls.urlpatterns,
    # The document and its browser are public: they describe, they hold no data.
    path(
        "schema/",
        SpectacularAPIView.as_view(urlconf="registry.api_urls", authentication_classes=[], permission_classes=[]),
        name="registry-schema",
    ),
    path(
        "docs/",
        # The split view serves its init script as a file, so the page passes Pond's CSP.
        SpectacularSwaggerSplitView.as_view(url_name="registry-schema", authentication_classes=[], permission_classes=[]),
        name="registry-docs",
    ),
    re_path(r"^.*$", views.NotFoundApi.as_view(), name="registry-not-found"),
]
