"""The one way Pond writes CSV: every cell, headers included, defused for spreadsheets.

Metric names, model names and labels come from JFrog ML, and a header row is as much
upstream data as a value (a metric named `+HYPERLINK(…)` reached an export's header
as a live formula). The file name is any string too: it goes into the header through
Django's RFC 6266 encoder, never by hand.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

# Spreadsheet apps execute cells starting with these; prefix them so a hostile
# model name in an export is shown, not run.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_cell(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


class _Echo:
    """A file whose write() returns the line: csv.writer then yields lines to stream."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[object], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in chain([header], rows):
        yield writer.writerow([csv_cell(value) for value in row])


def csv_response(
    filename: str, header: Sequence[object], rows: Iterable[Sequence[object]], *, stream: bool = False
) -> HttpResponse | StreamingHttpResponse:
    """A CSV download; `stream` for exports that may be long (the ledger)."""
    lines = csv_lines(header, rows)
    kind = "text/csv; charset=utf-8"
    response = StreamingHttpResponse(lines, content_type=kind) if stream else HttpResponse("".join(lines), content_type=kind)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
