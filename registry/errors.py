"""One JSON error shape for every failure the registry answers.

    {"error": {"code": "invalid", "message": "...", "fields": {"name": ["..."]}}}

`fields` appears on validation errors only; nested fields are dotted
(`resources.gpu`, `metrics.accuracy`).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

logger = logging.getLogger("registry")

ERROR_CODES = [
    "invalid",
    "not_authenticated",
    "permission_denied",
    "not_found",
    "method_not_allowed",
    "conflict",
    "server_error",
]


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields is not None:
        error["fields"] = fields
    return {"error": error}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = "body" if key == "non_field_errors" else str(key)
            out.update(_flatten(value, f"{prefix}.{name}" if prefix else name))
        return out
    if isinstance(detail, list):
        if detail and all(isinstance(item, dict | list) for item in detail):
            # A list field's per-item errors: index them (`tags.2`).
            out = {}
            for index, item in enumerate(detail):
                out.update(_flatten(item, f"{prefix}.{index}"))
            return out
        return {prefix or "body": [str(item) for item in detail if item != {}]}
    return {prefix or "body": [str(detail)]}


def _validation_response(exc: exceptions.ValidationError) -> Response:
    fields = {key: msgs for key, msgs in _flatten(exc.detail).items() if msgs}
    summary = "; ".join(f"{key}: {' '.join(msgs)}" for key, msgs in fields.items())
    return Response(error_body("invalid", f"Invalid input: {summary}", fields), status=400)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF exception handler for every registry view (set on the views, not globally)."""
    headers: dict[str, str] = {}
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        return _validation_response(exc)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
            return Response(error_body("not_authenticated", str(exc.detail)), status=401, headers=headers)
        return Response(error_body("permission_denied", str(exc.detail)), status=403)
    if isinstance(exc, exceptions.PermissionDenied):
        return Response(error_body("permission_denied", str(exc.detail)), status=403)
    if isinstance(exc, exceptions.NotFound):
        return Response(error_body("not_found", str(exc.detail)), status=404)
    if isinstance(exc, exceptions.MethodNotAllowed):
        return Response(error_body("method_not_allowed", str(exc.detail)), status=405)
    if isinstance(exc, Conflict):
        return Response(error_body("conflict", str(exc.detail)), status=409)
    if isinstance(exc, exceptions.ParseError):
        return Response(error_body("invalid", f"Malformed JSON body: {exc.detail}", {"body": [str(exc.detail)]}), status=400)
    if isinstance(exc, exceptions.UnsupportedMediaType):
        # The issue asks for a 400 here rather than 415, in the one error shape.
        msg = "Content-Type must be application/json."
        return Response(error_body("invalid", msg, {"Content-Type": [msg]}), status=400)
    if isinstance(exc, RecursionError):
        # json.loads gives up on absurdly nested documents with RecursionError, not ValueError.
        msg = "The JSON body is nested too deeply."
        return Response(error_body("invalid", msg, {"body": [msg]}), status=400)
    if isinstance(exc, exceptions.APIException) and exc.status_code < 500:
        return Response(error_body("invalid", str(exc.detail)), status=400)
    logger.exception("registry: unhandled error", exc_info=exc)
    return Response(error_body("server_error", "Internal server error."), status=500)
