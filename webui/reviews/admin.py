"""Admin: promotion rules are editable; the ledger, requests, decision plans and the
webhook outbox are read-only records."""

from __future__ import annotations

from django.contrib import admin

from webui.reviews.models import (
    Decision,
    DecisionStep,
    LedgerEntry,
    OutboxMessage,
    PromotionRule,
    ReviewRequest,
)


@admin.register(PromotionRule)
class PromotionRuleAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "scope_model_id", "scope_tag", "target_status", "enabled")
    list_filter = ("kind", "enabled", "target_status")
    search_fields = ("scope_model_id", "scope_tag", "metric", "description")


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable by whoever may view; nobody, not even a superuser, adds, edits or deletes."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(_ReadOnlyAdmin):
    list_display = ("created_at", "actor", "kind", "model_name", "version_label", "from_status", "to_status", "outcome")
    list_filter = ("kind", "outcome", "to_status")
    search_fields = ("actor", "model_id", "model_name", "version_id", "version_label", "comment")
    date_hierarchy = "created_at"


@admin.register(ReviewRequest)
class ReviewRequestAdmin(_ReadOnlyAdmin):
    list_display = ("created_at", "requested_by_name", "model_name", "version_label", "to_status", "state")
    list_filter = ("state", "to_status")
    search_fields = ("model_id", "model_name", "version_id", "version_label", "requested_by_name")


class DecisionStepInline(admin.TabularInline):
    model = DecisionStep
    fields = ("order", "kind", "version_label", "from_status", "to_status", "state", "attempts", "last_error", "updated_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Decision)
class DecisionAdmin(_ReadOnlyAdmin):
    list_display = ("created_at", "actor", "model_name", "version_label", "to_status", "state", "finished_at")
    list_filter = ("state", "to_status")
    search_fields = ("model_id", "model_name", "version_id", "version_label", "actor")
    inlines = [DecisionStepInline]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(_ReadOnlyAdmin):
    list_display = ("created_at", "delivery_id", "subscription", "state", "attempts", "next_attempt_at", "sent_at", "last_error")
    list_filter = ("state",)
    search_fields = ("delivery_id", "subscription")
