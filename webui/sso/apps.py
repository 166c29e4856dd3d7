from __future__ import annotations

from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "webui.sso"
    label = "sso"
    verbose_name = "Single sign-on"

    def ready(self) -> None:
        # A bad role map stops start-up naming the item, like every other setting,
        # instead of refusing everybody at their first sign-in.
        from django.conf import settings

        from webui.sso.rolemap import parse_role_map

        parse_role_map(settings.POND_OIDC_ROLE_MAP)
