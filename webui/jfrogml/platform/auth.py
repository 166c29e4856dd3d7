"""Who Pond is to the JFrog ML platform: the bearer token and the tenant id.

Both come from JFrog's SDK (`FrogMLAuthClient`): the token as configured (rotated by
the SDK when `JF_USE_SHORT_TOKEN_ROTATION` is on), the tenant id looked up over REST
(`/ml/core/api/v0/administration/accounts/get-account-status`, falling back to
`/jfconnect/api/v1/system/jpd_id`). The tenant id is kept in the shared cache, so one
lookup serves every process until it expires; a refused token is `Unauthorized`.
Neither value is ever logged.
"""

from __future__ import annotations

import logging
import threading

from django.core.cache import cache as django_cache

from webui.jfrogml import errors

log = logging.getLogger("pond.jfrogml.platform")

TENANT_TTL = 24 * 3600.0


class PlatformAuth:
    def __init__(self, *, base_url: str, token: str, namespace: str) -> None:
        self._base_url = base_url
        self._token = token
        self._key = f"{namespace}:tenant-id"
        self._lock = threading.Lock()
        self._sdk = None
        self._tenant: str | None = None

    def __repr__(self) -> str:  # never shows the token
        return f"PlatformAuth({self._base_url!r})"

    def _client(self):
        with self._lock:
            if self._sdk is None:
                from frogml.core.inner.tool.auth import FrogMLAuthClient
                from frogml.storage.authentication.models import AuthConfig

                self._sdk = FrogMLAuthClient(
                    AuthConfig(artifactory_url=self._base_url, access_token=self._token)
                )
            return self._sdk

    def token(self) -> str:
        if not self._token:
            raise errors.Unauthorized("No JFrog access token is configured (JFROG_ML_TOKEN).")
        from frogml.core.exceptions import FrogmlException

        try:
            return self._client().get_token()
        except FrogmlException as exc:
            raise errors.Unauthorized(f"JFrog refused Pond's access token: {_safe(exc)}") from None

    def tenant_id(self) -> str:
        if self._tenant:
            return self._tenant
        try:
            kept = django_cache.get(self._key)
        except Exception:  # a cache outage costs a lookup, never the page
            kept = None
        if kept:
            self._tenant = str(kept)
            return self._tenant
        from frogml.core.exceptions import FrogmlException

        self.token()  # an absent or malformed token says so before any lookup
        try:
            tenant = self._client().get_tenant_id()
        except FrogmlException as exc:
            text = _safe(exc)
            if "credentials" in text.lower():
                raise errors.Unauthorized(
                    f"JFrog refused Pond's access token when looking up the tenant: {text}"
                ) from None
            raise errors.Unavailable(
                f"Could not look up the JFrog tenant at {self._base_url}: {text}"
            ) from None
        tenant = (tenant or "").strip()
        if not tenant:
            raise errors.Unavailable(f"JFrog at {self._base_url} named no tenant.")
        log.info("JFrog tenant looked up at %s", self._base_url)
        try:
            django_cache.set(self._key, tenant, TENANT_TTL)
        except Exception:
            log.debug("tenant id not cached (cache down)")
        self._tenant = tenant
        return tenant


def _safe(exc: Exception) -> str:
    """The SDK's message, without anything that looks like our token."""
    return str(getattr(exc, "message", None) or exc)[:300]
