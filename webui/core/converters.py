"""Upstream ids in Pond's URLs: any string, always one path segment.

The spec says an id is a string, nothing more: `/`, `?`, `#`, `%`, spaces, `..`,
unicode and 1,000 characters are all ids. Django's `str` converter cannot reverse an
id holding `/` (NoReverseMatch: a 500 on every page listing it), and a browser
resolves a segment `..` before sending it. This converter percent-encodes the whole
id (dots of `.` and `..` too) into one segment; `reverse()` then quotes the `%`
again, so what reaches the server decodes, once by WSGI and once here, to the id.
"""

from __future__ import annotations

from urllib.parse import quote, unquote


class UpstreamIdConverter:
    regex = "[^/]+"

    def to_python(self, value: str) -> str:
        return unquote(value)

    def to_url(self, value: object) -> str:
        text = str(value)
        if text.strip(".") == "":  # "", ".", "..": a browser would drop or resolve them
            return "%2E" * len(text) or "%00"
        return quote(text, safe="")
