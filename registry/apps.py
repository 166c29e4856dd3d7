from __future__ import annotations

from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "JFrog ML registry (embedded)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the OpenAPI security scheme extensions with drf-spectacular.
        from registry import openapi  # noqa: F401
