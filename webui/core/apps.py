from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "webui.core"
    label = "core"
    verbose_name = "Pond"

    def ready(self) -> None:
        # Every process (web, worker, management commands) drops a cached user row
        # when it saves or deletes that user.
        from webui.core import auth  # noqa: F401
