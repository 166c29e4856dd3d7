"""`{% sso_options as sso %}`: what the login page offers (the provider's button, the password form)."""

from __future__ import annotations

from django import template
from django.conf import settings

from webui.sso.provider import local_login_allowed, sso_enabled

register = template.Library()


@register.simple_tag
def sso_options() -> dict:
    return {
        "enabled": sso_enabled(),
        "name": settings.POND_OIDC_NAME,
        "local": local_login_allowed(),
    }
