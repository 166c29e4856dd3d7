"""An incident as an Atom entry: its title, and a summary carrying the team's updates.

One entry per incident, whose <updated> moves with every acknowledgement, update and
recovery (document "last_changed_at"), so feed readers show it again; the updates are
in its summary, newest first, so the entry reads on its own.
"""

from __future__ import annotations

from typing import Any

from django.utils.html import format_html, format_html_join

from webui.status.models import IncidentUpdate
from webui.status.pages import duration
from webui.status.text import xml_safe

STATES = dict(IncidentUpdate.STATE_CHOICES)


def title(incident: dict[str, Any]) -> str:
    """The deployment by name and its latest update's state: "fraud-api is failed — Identified"."""
    return xml_safe(_title(incident))


def _title(incident: dict[str, Any]) -> str:
    name = incident["deployment_name"]
    if incident["ended_at"]:
        return (
            f"{name} recovered ({incident['recovered_to']}) after "
            f"{duration(incident['duration_seconds'])} {incident['status']}"
        )
    latest = incident.get("latest_update")
    return f"{name} is {incident['status']}" + (
        f" — {STATES.get(latest['state'], latest['state'])}" if latest else ""
    )


def summary_html(incident: dict[str, Any]) -> str:
    """The entry's summary (Atom type="html"): every part escaped here, then XML-escaped
    by the feed generator."""
    when = f"from {incident['started_at']}" + (
        f" until {incident['ended_at']}." if incident["ended_at"] else ", ongoing."
    )
    head = format_html("<p>{}: {}</p>", incident.get("title") or incident["deployment_name"], when)
    acknowledged = (
        format_html(
            "<p>Acknowledged by {} at {}.</p>",
            incident["acknowledged_by"],
            incident["acknowledged_at"],
        )
        if incident.get("acknowledged_by")
        else ""
    )
    updates = format_html_join(
        "",
        "<p><strong>{}</strong> ({}, {}): {}</p>",
        (
            (STATES.get(u["state"], u["state"]), u["author"], u["created_at"], u["text"])
            for u in reversed(incident.get("updates") or [])
        ),
    )
    # Kept text predating the control-character check, or a name from JFrog ML, must
    # not make the feed unwritable for everyone (XML 1.0 has no form for most C0 characters).
    return xml_safe(head + acknowledged + updates)
