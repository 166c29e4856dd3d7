"""Keep share-link tokens out of every log line.

A status share link (`/status/s/<token>/`, or `?share=<token>` on the status pages,
JSON, badges and feed) is a credential: whoever reads it in a log can use it. Request
lines reach logs through gunicorn's access and error logs (webui.core.gunicorn_logging)
and Django's own warnings ("Forbidden: /status/s/<token>/" from django.request); the
filter below is on Pond's log handler (settings.LOGGING), the logger class on gunicorn.
"""

from __future__ import annotations

import logging
import re

REDACTED = "<redacted>"

# Plain and percent-encoded (a `next=` parameter); a token ends where a path segment,
# query parameter or quoted string would.
_PATH_TOKEN = re.compile(r"(status(?:/|%2F)s(?:/|%2F))(?:(?!%2F)[^/?#&\s\"'<>])+", re.IGNORECASE)
_SHARE_PARAM = re.compile(r"((?:^|[?&;]|%3F|%26)share(?:=|%3D))(?:(?!%26)[^&#\s\"'<>])+", re.IGNORECASE)


def redact_share_tokens(text: str) -> str:
    if "status" not in text and "share" not in text.lower():
        return text
    text = _PATH_TOKEN.sub(rf"\1{REDACTED}", text)
    return _SHARE_PARAM.sub(rf"\1{REDACTED}", text)


class RedactShareTokens(logging.Filter):
    """Rewrites a record's message (and formatted traceback) with tokens redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is the handler's to report
            return True
        redacted = redact_share_tokens(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_share_tokens(record.exc_text)
        return True
