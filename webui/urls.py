from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, register_converter

from webui.core import views as core_views
from webui.core.converters import UpstreamIdConverter
from webui.metrics import views as metrics_views
from webui.sso import views as sso_views

register_converter(UpstreamIdConverter, "upstream_id")

urlpatterns = [
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    # Prometheus: off (404) unless POND_METRICS_TOKEN / POND_METRICS_ALLOW is set.
    path("metrics", metrics_views.metrics, name="metrics"),
    # Single sign-on first: it serves login/ and logout/ (Django's, plus the provider's
    # button and sign-out) and, with POND_LOCAL_LOGIN off, refuses password sign-in.
    path("accounts/", include("webui.sso.urls")),
    # Personal API tokens (webui/api/pages.py) and Pond's own API.
    path("accounts/tokens/", include("webui.api.page_urls")),
    path("api/", include("webui.api.urls")),
    path("accounts/", include("webui.core.accounts")),
    path("admin/login/", sso_views.admin_login),
    path("admin/", admin.site.urls),
    path("", include("webui.status.urls")),
    path("", include("webui.reviews.urls")),
    path("", include("webui.insights.urls")),
    path("", include("webui.dashboard.urls")),
]

if settings.POND_EMBEDDED_REGISTRY:
    # First: every API call would otherwise try each dashboard pattern before its own.
    urlpatterns.insert(0, path("ml/api/", include("registry.urls")))
