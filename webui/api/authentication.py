"""DRF authentication by personal API token: `Authorization: Bearer pond_…`."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from webui.api.tokens import token_user


class PersonalTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() != self.keyword.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send one token: Authorization: Bearer pond_….")
        found = token_user(header[1])
        if found is None:
            raise exceptions.AuthenticationFailed("This token is not valid: it was revoked, or never existed.")
        return found

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="pond"'


class PersonalTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI document names this scheme (drf-spectacular finds it on import)."""

    target_class = "webui.api.authentication.PersonalTokenAuthentication"
    name = "personalToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (pond_…), made on /accounts/tokens/.",
        }
