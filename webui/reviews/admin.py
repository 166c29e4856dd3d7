"""Admin: promotion rules are editable; the ledger and requests are read-only records."""

from __future__ import annotations

from django.contrib import admin

from webui.reviews.models import LedgerEntry, PromotionRule, ReviewRequest


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
