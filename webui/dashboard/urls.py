from __future__ import annotations

from django.urls import path

from webui.dashboard.views import deployments, experiments, models, overview, versions

urlpatterns = [
    path("", overview.overview, name="overview"),
    path("models/", models.model_list, name="model_list"),
    path("models/new/", models.model_create, name="model_create"),
    path("models/<upstream_id:model_id>/", models.model_detail, name="model_detail"),
    path("models/<upstream_id:model_id>/edit/", models.model_edit, name="model_edit"),
    path("models/<upstream_id:model_id>/delete/", models.model_delete, name="model_delete"),
    path("models/<upstream_id:model_id>/compare/", versions.versions_compare, name="versions_compare"),
    path("models/<upstream_id:model_id>/versions/new/", versions.version_create, name="version_create"),
    path("models/<upstream_id:model_id>/versions/<upstream_id:version_id>/", versions.version_detail, name="version_detail"),
    path(
        "models/<upstream_id:model_id>/versions/<upstream_id:version_id>/delete/",
        versions.version_delete,
        name="version_delete",
    ),
    path("experiments/", experiments.experiment_list, name="experiment_list"),
    path("experiments/new/", experiments.experiment_create, name="experiment_create"),
    path("experiments/compare/", experiments.experiments_compare, name="experiments_compare"),
    path("experiments/<upstream_id:experiment_id>/", experiments.experiment_detail, name="experiment_detail"),
    path("experiments/<upstream_id:experiment_id>/edit/", experiments.experiment_edit, name="experiment_edit"),
    path(
        "experiments/<upstream_id:experiment_id>/delete/", experiments.experiment_delete, name="experiment_delete"
    ),
    path("deployments/", deployments.deployment_list, name="deployment_list"),
    path("deployments/new/", deployments.deployment_create, name="deployment_create"),
    path("deployments/status.json", deployments.deployment_status_json, name="deployment_status_json"),
    path("deployments/<upstream_id:deployment_id>/", deployments.deployment_detail, name="deployment_detail"),
    path("deployments/<upstream_id:deployment_id>/edit/", deployments.deployment_edit, name="deployment_edit"),
    path(
        "deployments/<upstream_id:deployment_id>/delete/", deployments.deployment_delete, name="deployment_delete"
    ),
]
