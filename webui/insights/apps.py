from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "webui.insights"
    label = "insights"
    verbose_name = "Insights"
