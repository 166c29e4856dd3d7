"""Text that the status page's people and JFrog ML hand us, made fit to keep and to show.

PostgreSQL refuses NUL; XML 1.0 (the Atom feed, the SVG badges) refuses most C0 control
characters, so one such character in an update or a model's name would fail the feed
for every reader. People's text with one is refused on its field; upstream names are
kept with the character replaced."""

from __future__ import annotations

import re

from webui.activity.services import fit_text

# C0 controls but tab, newline and carriage return, and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def typed(value: str) -> str:
    """A textarea's text as typed: browsers send a line break as CRLF but count it as one
    character against maxlength, so the length is checked on LF."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def control_problem(value: str) -> str:
    """A field error for text holding a control character ("" when it holds none)."""
    found = _CONTROL.search(value)
    if not found:
        return ""
    return f"contains a control character (U+{ord(found.group()):04X}); remove it."


def xml_safe(value: str) -> str:
    """`value` with what XML 1.0 cannot carry replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", value)


def name_kept(value: object, limit: int) -> str:
    """An upstream name, storable in a column of `limit` characters and showable anywhere."""
    return xml_safe(fit_text(value, limit))
