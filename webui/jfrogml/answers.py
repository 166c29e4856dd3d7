"""Reading JFrog ML's answers: a body within the call's deadline and size cap, an
error body (the registry's, DRF's, plain text) mapped to `webui.jfrogml.errors`, and
URLs as a page may show them. `client.JFrogMLClient._request()` is the one caller of
the first two.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from django.conf import settings

from webui.jfrogml import errors
from webui.jfrogml.redact import credential_secrets, redact


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def as_messages(value: Any) -> list[str]:
    if isinstance(value, list):
        return [m if isinstance(m, str) else json.dumps(m) for m in value]
    if isinstance(value, str):
        return [value]
    return [json.dumps(value)]


def parse_error_body(resp: requests.Response) -> tuple[str | None, str | None, dict[str, list[str]]]:
    """(message, code, fields) from any error body: the registry's, DRF's or plain text."""
    try:
        data = json.loads(resp.content) if resp.content else None
    except ValueError:
        text = resp.text.strip() if resp.content else ""
        if text and not text.lstrip().startswith("<"):
            return text[:300], None, {}
        return None, None, {}
    message: str | None = None
    code: str | None = None
    fields: dict[str, list[str]] = {}
    if isinstance(data, dict):
        inner = data.get("error")
        if isinstance(inner, dict):
            message = inner.get("message") if isinstance(inner.get("message"), str) else None
            code = inner.get("code") if isinstance(inner.get("code"), str) else None
            if isinstance(inner.get("fields"), dict):
                fields = {str(k): as_messages(v) for k, v in inner["fields"].items()}
        elif isinstance(inner, str):
            message = inner
            if isinstance(data.get("message"), str):
                message = data["message"]
        elif isinstance(data.get("detail"), str):
            message = data["detail"]
            code = data.get("code") if isinstance(data.get("code"), str) else None
        elif isinstance(data.get("message"), str):
            message = data["message"]
        else:
            # DRF's validation shape: {field: [messages]}.
            fields = {str(k): as_messages(v) for k, v in data.items()}
            if "non_field_errors" in fields:
                message = " ".join(fields["non_field_errors"])
    elif isinstance(data, list) and data:
        message = " ".join(as_messages(data))
    elif isinstance(data, str):
        message = data
    return (message[:500] if message else None), code, fields


DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024


class BodyRefused(Exception):
    """The answer's body came too slowly or was too big: it is treated like a timeout."""


def read_body(resp: requests.Response, deadline: float, max_bytes: int) -> None:
    """Read the body within the call's deadline and size cap, then keep it on `resp`.

    `timeout` bounds each socket read, not the body: a server sending one byte a
    second held a 5 s call for 20 s. read1() returns whatever has arrived, so the
    deadline is checked between reads; the cap is checked before and while reading.
    """
    try:
        try:
            declared = int(resp.headers.get("Content-Length") or 0)
        except ValueError:  # "10, 10" or junk: the size is checked while reading instead
            declared = 0
        if declared > max_bytes:
            raise BodyRefused(f"JFrog ML's answer is {declared} bytes, over JFROG_ML_MAX_RESPONSE_BYTES ({max_bytes}).")
        chunks: list[bytes] = []
        size = 0
        while True:
            if time.monotonic() > deadline:
                raise BodyRefused("JFrog ML did not finish its answer within Pond's time budget.")
            chunk = resp.raw.read1(65536, decode_content=True)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise BodyRefused(f"JFrog ML's answer is over JFROG_ML_MAX_RESPONSE_BYTES ({max_bytes} bytes).")
            chunks.append(chunk)
        resp._content = b"".join(chunks)  # what requests keeps as .content
        resp._content_consumed = True
    except BodyRefused:
        resp.close()
        raise
    except urllib3.exceptions.ReadTimeoutError as exc:
        resp.close()
        raise requests.ReadTimeout(exc) from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:  # cut mid-body, reset
        resp.close()
        raise requests.ConnectionError(exc) from exc


def origin(url: str | None) -> str:
    """scheme://host[:port] of a URL: never its path, query or credentials."""
    parts = urlsplit(url or "")
    host = parts.hostname or "?"
    return f"{parts.scheme or 'http'}://{host}" + (f":{parts.port}" if parts.port else "")


def shown_url(url: str | None) -> str:
    """A URL as a page may show it: scheme, host, port and path, never credentials or a query."""
    return origin(url) + urlsplit(url or "").path


def error_from_response(resp: requests.Response) -> errors.JFrogMLError:
    """Map a non-2xx response to the error hierarchy: the one place that does it."""
    status = resp.status_code
    message, code, fields = parse_error_body(resp)
    # An upstream may echo the credentials it was sent: this text reaches pages and logs.
    secrets = credential_secrets(resp.request.headers if resp.request is not None else None)
    if secrets:
        message, code = redact(message, secrets), redact(code, secrets)
        fields = {redact(k, secrets): [redact(m, secrets) for m in v] for k, v in fields.items()}
    request_id = resp.headers.get("X-Request-ID")
    kwargs: dict[str, Any] = {"status": status, "code": code, "request_id": request_id}
    if status == 400 and "json" not in resp.headers.get("Content-Type", ""):
        # Not the API talking: a proxy's page, or the embedded registry's web server
        # refusing the Host it was called by. Say which setting points there.
        setting = "JFROG_ML_URL" if settings.JFROG_ML_URL_CONFIGURED else "POND_SELF_URL"
        return errors.BadResponse(
            f"{origin(resp.url)} answered 400 with a page that is not JFrog ML's API: "
            f"check {setting} (and DJANGO_ALLOWED_HOSTS there).",
            **kwargs,
        )
    if status in (400, 413, 415, 422):
        return errors.ValidationFailed(message, fields=fields, **kwargs)
    if status == 401:
        return errors.Unauthorized(message, **kwargs)
    if status == 403:
        return errors.Forbidden(message, **kwargs)
    if status == 404:
        return errors.NotFound(message, **kwargs)
    if status in (405, 501):
        return errors.OperationUnsupported(message, **kwargs)
    if status == 409:
        return errors.Conflict(message, **kwargs)
    if status == 429:
        retry_after = parse_retry_after(resp.headers.get("Retry-After"))
        return errors.RateLimited(message, retry_after=retry_after, **kwargs)
    if status >= 500:
        return errors.Unavailable(f"JFrog ML answered {status}" + (f": {message}" if message else "."), **kwargs)
    if 400 <= status < 500:
        return errors.ValidationFailed(message or f"JFrog ML refused the request ({status}).", fields=fields, **kwargs)
    return errors.BadResponse(f"JFrog ML answered with unexpected status {status}.", **kwargs)
