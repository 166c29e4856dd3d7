"""Admin views of what the poller recorded: read-only, because the history is evidence."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from webui.core.admin import ReadOnlyAdmin
from webui.status.access import share_link_revoke
from webui.status.models import (
    DeploymentEvent,
    DeploymentState,
    Incident,
    ObservationWindow,
    PollerHealth,
    ShareLink,
)


@admin.register(DeploymentState)
class DeploymentStateAdmin(ReadOnlyAdmin):
    list_display = [
        "deployment_id",
        "name",
        "status",
        "streak",
        "confirmed_status",
        "status_since",
        "last_observed_at",
    ]
    search_fields = ["deployment_id", "name", "model_id"]
    list_filter = ["status", "confirmed_status"]


@admin.register(DeploymentEvent)
class DeploymentEventAdmin(ReadOnlyAdmin):
    list_display = ["deployment_id", "sequence", "from_status", "to_status", "observed_at"]
    search_fields = ["deployment_id", "model_id"]
    list_filter = ["to_status"]
    date_hierarchy = "observed_at"


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = [
        "deployment_id",
        "deployment_name",
        "status",
        "started_at",
        "ended_at",
        "recovered_to",
    ]
    search_fields = ["deployment_id", "deployment_name", "model_id"]
    date_hierarchy = "started_at"


@admin.register(ObservationWindow)
class ObservationWindowAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "ended_at"]


@admin.register(PollerHealth)
class PollerHealthAdmin(ReadOnlyAdmin):
    list_display = [
        "last_success_at",
        "last_error",
        "error_since",
        "consecutive_failures",
        "last_cycle_seconds",
    ]


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    # Links are created on /status/share-links/ (the token is shown once there);
    # here they can be looked at and revoked (through the service, which also
    # drops the cached "still active" answer at once).
    list_display = ["label", "created_by", "created_at", "revoked_at"]
    readonly_fields = ["label", "token_hash", "created_by", "created_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Revoke only: a deleted row kept working until its cached "active" answer
        # expired, and a revoked link stays on the record of who shared what.
        return False

    @admin.action(description="Revoke the selected share links")
    def revoke(self, request: HttpRequest, queryset) -> None:
        for link_id in queryset.values_list("pk", flat=True):
            share_link_revoke(link_id=link_id)
