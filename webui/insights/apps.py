from __future__ import annotations

from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "webui.insights"
    label = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        # A malformed production-limit map stops start-up naming the variable and the
        # entry, like every other setting, instead of mis-flagging models later.
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured

        limits = settings.POND_INSIGHTS_PRODUCTION_LIMITS
        name = "POND_INSIGHTS_PRODUCTION_LIMITS"
        if not isinstance(limits, dict):
            raise ImproperlyConfigured(
                f'Environment variable {name} is not valid: expected a JSON object such as {{"tag:canary": 2}}.'
            )
        for key, value in limits.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ImproperlyConfigured(
                    f"Environment variable {name} is not valid: {key!r} must map to a whole number >= 1."
                )
