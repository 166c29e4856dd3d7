"""Data the dashboard owns: what JFrog ML does not keep for us."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class DeploymentResources(models.Model):
    """The resources requested through Pond's deployment form.

    JFrog ML accepts `resources` on create but never returns them, so Pond keeps
    its own record to show them on the deployment page. Deployments created
    elsewhere have no row here and show as "unknown".

    The Meta also carries the dashboard's custom permissions, which the role
    groups (see `webui.core.roles`) are made of.
    """

    deployment_id = models.CharField(max_length=255, unique=True)
    cpu = models.CharField(max_length=64, blank=True)
    memory = models.CharField(max_length=64, blank=True)
    gpu = models.PositiveIntegerField(null=True, blank=True)
    replicas = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "deployment resources"
        verbose_name_plural = "deployment resources"
        permissions = [
            ("change_registry", "Create, edit and delete models, versions and experiments"),
            ("deploy", "Create and delete deployments"),
            ("request_promotion", "Request the promotion of a model version"),
            ("decide_promotion", "Approve or reject the promotion of a model version"),
        ]

    def __str__(self) -> str:
        return f"resources of deployment {self.deployment_id}"
