"""The API's operations alone: what the OpenAPI document describes."""

from __future__ import annotations

from django.urls import path

from registry import views

urlpatterns = [
    path("v1/models", views.ModelListApi.as_view(), name="registry-models"),
    path("v1/models/<str:modelId>", views.ModelDetailApi.as_view(), name="registry-model"),
    path("v1/models/<str:modelId>/versions", views.VersionListApi.as_view(), name="registry-versions"),
    path(
        "v1/models/<str:modelId>/versions/<str:versionId>",
        views.VersionDetailApi.as_view(),
        name="registry-version",
    ),
    path("v1/experiments", views.ExperimentListApi.as_view(), name="registry-experiments"),
    path("v1/experiments/<str:experimentId>", views.ExperimentDetailApi.as_view(), name="registry-experiment"),
    path("v1/deployments", views.DeploymentListApi.as_view(), name="registry-deployments"),
    path("v1/deployments/<str:deploymentId>", views.DeploymentDetailApi.as_view(), name="registry-deployment"),
]
