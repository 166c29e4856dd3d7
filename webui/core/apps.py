from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "webui.core"
    label = "core"
    verbose_name = "Pond"
