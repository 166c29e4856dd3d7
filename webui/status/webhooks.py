"""Slack-compatible notifications ({"text": ...}) of confirmed deployment status changes."""

from __future__ import annotations

import logging

import requests
from django.conf import settings

from webui.status.poller import ConfirmedChange

log = logging.getLogger("pond.status.webhooks")


class WebhookFailed(Exception):
    """The webhook answered with something other than 2xx (worth retrying)."""


def worth_notifying(change: ConfirmedChange) -> bool:
    # A deployment's very first confirmed status is news only if it is a problem.
    return bool(change.from_status) or change.to_status in settings.POND_STATUS_INCIDENT_STATUSES


def message(change: ConfirmedChange) -> str:
    name = change.name or change.deployment_id
    was = f" (was {change.from_status})" if change.from_status else ""
    when = change.since.strftime("%Y-%m-%d %H:%M:%S UTC")
    return (
        f"Deployment {name} ({change.deployment_id}) of model {change.model_id or '?'}, "
        f"version {change.version_id or '?'}, is now {change.to_status}{was}, since {when}."
    )


def send(*, url: str, text: str) -> None:
    """POST one message; raises WebhookFailed or requests.RequestException to be retried."""
    response = requests.post(url, json={"text": text}, timeout=settings.POND_STATUS_WEBHOOK_TIMEOUT)
    if not 200 <= response.status_code < 300:
        raise WebhookFailed(f"{url} answered {response.status_code}")
    log.info("webhook %s told: %s", url, text)
