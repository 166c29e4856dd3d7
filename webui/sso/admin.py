from __future__ import annotations

from django.contrib import admin

from webui.sso.models import SsoIdentity


@admin.register(SsoIdentity)
class SsoIdentityAdmin(admin.ModelAdmin):
    list_display = ("user", "subject", "issuer", "groups", "last_sign_in_at")
    search_fields = ("user__username", "subject")
    raw_id_fields = ("user",)
    readonly_fields = ("groups", "created_at", "last_sign_in_at")
