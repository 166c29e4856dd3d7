"""The activity record in the admin: read-only, because it is evidence."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from webui.activity.models import Activity


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "action", "object_kind", "object_name", "model_name"]
    list_filter = ["action", "object_kind"]
    search_fields = ["actor", "object_id", "object_name", "model_id", "model_name"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
