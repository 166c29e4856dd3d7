"""One error hierarchy for everything that can go wrong talking to JFrog ML.

Callers catch these, never `requests` exceptions: the client maps transport
failures and HTTP statuses to them in one place (`client._error_from_response`).
"""

from __future__ import annotations


class JFrogMLError(Exception):
    """Base class. `.message` is safe to show a user; `.status` is the HTTP status if any."""

    default_message = "JFrog ML request failed."

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.status = status
        self.code = code
        self.request_id = request_id
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status})"


class NotFound(JFrogMLError):
    default_message = "Not found."


class Unauthorized(JFrogMLError):
    default_message = "JFrog ML refused Pond's credentials."


class Forbidden(JFrogMLError):
    default_message = "Pond's credentials are not allowed to do this in JFrog ML."


class Conflict(JFrogMLError):
    default_message = "This conflicts with existing data in JFrog ML."


class ValidationFailed(JFrogMLError):
    """The request was refused as invalid; `.fields` maps field name to messages."""

    default_message = "JFrog ML rejected the input."

    def __init__(
        self,
        message: str | None = None,
        *,
        fields: dict[str, list[str]] | None = None,
        status: int | None = 400,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        self.fields: dict[str, list[str]] = dict(fields or {})
        if not message and self.fields:
            name, messages = next(iter(self.fields.items()))
            message = f"{name}: {' '.join(messages)}"
        super().__init__(message, status=status, code=code, request_id=request_id)


class Unavailable(JFrogMLError):
    """JFrog ML could not be reached or failed (refused, timeout, 5xx, circuit open)."""

    default_message = "JFrog ML is not answering."


class RateLimited(Unavailable):
    """429. A subclass of Unavailable so that pages fall back to cached data alike."""

    default_message = "JFrog ML is rate limiting Pond."

    def __init__(self, message: str | None = None, *, retry_after: float | None = None, **kwargs) -> None:
        self.retry_after = retry_after
        kwargs.setdefault("status", 429)
        super().__init__(message, **kwargs)


class BadResponse(JFrogMLError):
    """JFrog ML answered with something that is not JSON of the spec's shape."""

    default_message = "JFrog ML sent a response Pond cannot read."


class OperationUnsupported(JFrogMLError):
    """The upstream does not implement this (extension) operation: 404/405/501 on the route."""

    default_message = "This JFrog ML server does not support this operation."


# Errors after which the last good cached value is worth showing instead.
FALLBACK_ERRORS: tuple[type[JFrogMLError], ...] = (Unavailable, BadResponse)
