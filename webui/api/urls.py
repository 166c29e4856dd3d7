"""Mounted at /api/ by webui.urls: the API under v1/, its document and its browser."""

from __future__ import annotations

from django.urls import path, re_path
from django.views.decorators.cache import never_cache
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from webui.api import views

app_name = "api"

# The document describes Pond's API alone (not the embedded registry's).
SCHEMA_SETTINGS = {
    "TITLE": "Pond API",
    "DESCRIPTION": (
        "Pond's own API for pipelines: promotion requests and decisions, the ledger and activity "
        "record, production versions, deployment statuses and incidents. Authenticate with a "
        "personal API token (`Authorization: Bearer pond_…`, made on /accounts/tokens/): it carries "
        "exactly its owner's rights, and every rule of the review applies as on the pages."
    ),
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": r"/v1",
    "SERVERS": [{"url": "/api"}],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums"],
    "ENUM_NAME_OVERRIDES": {},
}

urlpatterns = [
    path("v1/me", views.Me.as_view(), name="me"),
    path("v1/reviews", views.Reviews.as_view(), name="reviews"),
    path("v1/reviews/<int:pk>", views.Review.as_view(), name="review"),
    path("v1/reviews/<int:pk>/decision", views.ReviewDecision.as_view(), name="review-decision"),
    path("v1/reviews/<int:pk>/withdrawal", views.ReviewWithdrawal.as_view(), name="review-withdrawal"),
    path("v1/events", views.Ledger.as_view(), name="events"),
    path("v1/models/<upstream_id:model_id>/production", views.Production.as_view(), name="production"),
    path("v1/deployments", views.Deployments.as_view(), name="deployments"),
    path("v1/incidents", views.Incidents.as_view(), name="incidents"),
    # Public, like the registry's: they describe, they hold no data (never cached all the
    # same, as everything a signed-in browser is shown).
    path(
        "schema/",
        never_cache(
            SpectacularAPIView.as_view(
                urlconf="webui.api.urls", custom_settings=SCHEMA_SETTINGS, authentication_classes=[], permission_classes=[]
            )
        ),
        name="schema",
    ),
    path(
        "docs/",
        never_cache(
            SpectacularSwaggerSplitView.as_view(url_name="api:schema", authentication_classes=[], permission_classes=[])
        ),
        name="docs",
    ),
    re_path(r"^.*$", views.not_found, name="not-found"),
]
