"""The activity record in the admin: read-only, because it is evidence."""

from __future__ import annotations

from django.contrib import admin

from webui.activity.models import Activity
from webui.core.admin import ReadOnlyAdmin


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor", "action", "object_kind", "object_name", "model_name"]
    list_filter = ["action", "object_kind"]
    search_fields = ["actor", "object_id", "object_name", "model_id", "model_name"]
    date_hierarchy = "created_at"
