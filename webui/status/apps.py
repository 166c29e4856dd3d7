from django.apps import AppConfig


class StatusConfig(AppConfig):
    name = "webui.status"
    label = "status"
    verbose_name = "Deployment status"
