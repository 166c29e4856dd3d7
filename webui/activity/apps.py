from __future__ import annotations

from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "webui.activity"
    label = "activity"
    verbose_name = "Activity record"
    default_auto_field = "django.db.models.BigAutoField"
