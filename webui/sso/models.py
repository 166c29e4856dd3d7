from __future__ import annotations

from django.conf import settings
from django.db import models


class SsoIdentity(models.Model):
    """A Pond account's identity at the provider: its issuer and `sub`, which never change.

    People are found by these, never by email (an address can move to someone else).
    An admin links an existing local account to a provider identity by adding a row.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identity"
    )
    issuer = models.CharField(max_length=255, help_text="POND_OIDC_ISSUER, as set.")
    subject = models.CharField(
        max_length=255, help_text="The provider's `sub` claim for this person."
    )
    # The groups the provider named at the last sign-in (to see why someone has a role).
    groups = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "single sign-on identity"
        verbose_name_plural = "single sign-on identities"
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject"], name="sso_identity_issuer_subject"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"
