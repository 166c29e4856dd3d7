"""Tell chat about every decision: Slack-compatible JSON, through Pond's one sender.

A rejection is announced in the transaction that records it; an approval when its
plan reaches an end state (applied, failed, rolled back, left without production),
in the transaction that records that state, and again if a later recovery changes it
(production restored after all). The announcement is an outbox row: a Celery worker
posts it, with retries, so a slow or dead webhook never holds up the reviewer's
page, and a crash or a broker outage delays it, never loses it. See
webui/status/webhooks.py for how deliveries keep the URL secret, refuse redirects
and escape text for Slack.
"""

from __future__ import annotations

from typing import Any

from webui.status import webhooks


def decision_text(*, entry: Any, result: Any = None) -> str:
    """Plain text (the sender escapes it for Slack)."""
    verb = {"approve": "approved", "reject": "rejected", "direct": "promoted directly"}.get(entry.kind, entry.kind)
    text = (
        f"{entry.actor} {verb} {entry.model_name} {entry.version_label}: "
        f"{entry.from_status or '?'} → {entry.to_status}"
    )
    if entry.comment:
        text += f" — “{entry.comment}”"
    if result is not None and getattr(result, "message", "") and entry.kind != "reject":
        text += f"\n{result.message}"
    if getattr(result, "without_production", False):
        text += f"\n{entry.model_name} is left WITHOUT a production version."
    return text


def decision_announce(*, entry: Any, result: Any = None) -> list[str]:
    """Queue the decision for every configured review webhook; returns the delivery ids."""
    payload = {
        "text": decision_text(entry=entry, result=result),
        "pond": {
            "kind": entry.kind,
            "actor": entry.actor,
            "model_id": entry.model_id,
            "version_id": entry.version_id,
            "from": entry.from_status,
            "to": entry.to_status,
            "ok": getattr(result, "ok", True),
            # "rejected", or where an approved plan ended: "applied", "failed",
            # "rolled_back" (production restored), "unrestored" (left without production).
            "state": getattr(result, "state", "") or {"reject": "rejected"}.get(entry.kind, entry.kind),
            "without_production": bool(getattr(result, "without_production", False)),
        },
    }
    return webhooks.enqueue(kind="review", payload=payload)
