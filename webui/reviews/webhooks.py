"""Tell chat about every decision: Slack-compatible JSON, short timeout, never blocking.

The post runs on a daemon thread, so a slow or dead webhook never holds up the
reviewer's page; failures are logged and otherwise ignored (the ledger is the
record, the webhook only a courtesy).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import requests
from django.conf import settings

log = logging.getLogger("pond.reviews.webhooks")


def decision_text(*, entry: Any, result: Any = None) -> str:
    verb = {"approve": "approved", "reject": "rejected", "direct": "promoted directly"}.get(entry.kind, entry.kind)
    text = (
        f"{entry.actor} {verb} {entry.model_name} {entry.version_label}: "
        f"{entry.from_status or '?'} → {entry.to_status}"
    )
    if entry.comment:
        text += f" — “{entry.comment}”"
    if result is not None and getattr(result, "message", "") and entry.kind != "reject":
        text += f"\n{result.message}"
    return text


def _post(url: str, payload: dict, timeout: float) -> None:
    try:
        resp = requests.post(url, json=payload, timeout=timeout)
        if resp.status_code >= 400:
            log.warning("review webhook %s answered %s", url, resp.status_code)
    except requests.RequestException as exc:
        log.warning("review webhook %s failed: %s", url, exc.__class__.__name__)


def decision_announce(*, entry: Any, result: Any = None) -> list[threading.Thread]:
    """Post the decision to every configured webhook; returns the started threads."""
    urls = list(getattr(settings, "POND_REVIEW_WEBHOOKS", []) or [])
    if not urls:
        return []
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
        },
    }
    timeout = float(getattr(settings, "POND_REVIEW_WEBHOOK_TIMEOUT", 2.0))
    threads = []
    for url in urls:
        thread = threading.Thread(target=_post, args=(url, payload, timeout), daemon=True, name="pond-review-webhook")
        thread.start()
        threads.append(thread)
    return threads
