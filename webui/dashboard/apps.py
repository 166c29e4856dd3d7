from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "webui.dashboard"
    label = "dashboard"
    verbose_name = "Pond dashboard"
