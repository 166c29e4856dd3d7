"""Pond's one webhook sender, and the Slack-compatible ({"text": ...}) notifications of
confirmed deployment status changes.

Review decisions go out through the same sender (webui/reviews/webhooks.py builds
their payload). A webhook URL is a credential: Slack keeps its secret in the path.
So:

- the URL never leaves settings: `enqueue` hands Celery a subscription key
  ("status:<digest of the URL>"), and the task (`webui.status.tasks.webhook_send`)
  looks the URL up among the configured ones; it cannot be told to post anywhere else;
- logs and error messages name the subscription and the host, never the path or query;
- redirects are never followed (a 307 would re-POST the body elsewhere): a redirect
  is a failed delivery, as is any other 4xx but 429; 5xx, 429 and transport errors
  are retried by the task;
- `payload["text"]` is plain text and is escaped here the way Slack asks (& < >), so a
  deployment name or a comment cannot ping `<!channel>` or make a link.

Every delivery has an id, sent as X-Pond-Delivery and repeated by its retries, so a
receiver can drop duplicates. (A later outbox table will write (subscription,
payload, delivery id) rows in the event's transaction; `enqueue` is the one place
that changes then.)
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import transaction

from webui.status.poller import ConfirmedChange

log = logging.getLogger("pond.status.webhooks")

DELIVERY_HEADER = "X-Pond-Delivery"
USER_AGENT = f"Pond/0.1 (webhooks) python-requests/{requests.__version__}"
# Kinds of subscription: the setting that lists their URLs, and their timeout setting.
KINDS = {
    "status": ("POND_STATUS_WEBHOOKS", "POND_STATUS_WEBHOOK_TIMEOUT"),
    "review": ("POND_REVIEW_WEBHOOKS", "POND_REVIEW_WEBHOOK_TIMEOUT"),
}
RETRY_STATUSES = frozenset({429})  # and every 5xx


class WebhookError(Exception):
    """A delivery that did not succeed. Messages never contain the URL's path or query."""


class WebhookFailed(WebhookError):
    """Worth retrying: the receiver was unreachable, too slow, or answered 5xx or 429."""


class WebhookRejected(WebhookError):
    """Not worth retrying: a redirect, a 4xx, or a subscription that is not configured."""


@dataclass(frozen=True)
class Subscription:
    key: str
    url: str
    timeout: float

    @property
    def host(self) -> str:
        """What logs may show of the URL: host and port, no credentials, path or query."""
        parts = urlsplit(self.url)
        host = parts.hostname or "?"
        if ":" in host:
            host = f"[{host}]"
        return f"{host}:{parts.port}" if parts.port else host

    def __repr__(self) -> str:  # a stray repr in a log or traceback shows no secret either
        return f"Subscription({self.key!r}, host={self.host!r})"


def _key(kind: str, url: str) -> str:
    # A digest, not a list index: reordering the setting never sends to the wrong URL,
    # and a URL removed from it is not posted to by deliveries still queued.
    return f"{kind}:{hashlib.sha256(url.encode()).hexdigest()[:16]}"


def subscriptions(kind: str) -> list[Subscription]:
    """The configured webhooks of one kind ("status" or "review")."""
    urls_setting, timeout_setting = KINDS[kind]
    timeout = float(getattr(settings, timeout_setting))
    return [Subscription(_key(kind, url), url, timeout) for url in getattr(settings, urls_setting) or []]


def subscription_get(key: str) -> Subscription:
    kind = str(key).partition(":")[0]
    for subscription in subscriptions(kind) if kind in KINDS else []:
        if subscription.key == key:
            return subscription
    raise WebhookRejected(f"No webhook subscription {str(key)[:40]!r} is configured (any more); not sent.")


def slack_escape(text: str) -> str:
    """Slack's own escaping for message text: only &, < and > (in that order)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def enqueue(*, kind: str, payload: dict[str, Any]) -> list[str]:
    """Queue `payload` for every webhook of `kind` once the current transaction commits;
    returns the delivery ids. Never raises: a broker outage costs the notification,
    never the event (it is logged)."""
    from webui.status.tasks import webhook_send  # the task module imports this one

    delivery_ids = []
    for subscription in subscriptions(kind):
        delivery_id = uuid.uuid4().hex
        delivery_ids.append(delivery_id)
        # A separate task per webhook: a slow or failing one never holds up another,
        # nor the poll or the page that caused it.
        transaction.on_commit(
            lambda key=subscription.key, delivery_id=delivery_id: webhook_send.delay(
                subscription=key, payload=payload, delivery_id=delivery_id
            ),
            robust=True,
        )
    return delivery_ids


def deliver(*, subscription: str, payload: dict[str, Any], delivery_id: str) -> int:
    """POST `payload` to the configured webhook `subscription`; returns the status code.

    Raises WebhookFailed (retry) or WebhookRejected (do not). One log line per attempt.
    """
    target = subscription_get(subscription)
    body = dict(payload)
    if isinstance(body.get("text"), str):
        body["text"] = slack_escape(body["text"])
    where = f"{target.key} ({target.host})"
    started = time.monotonic()
    try:
        response = requests.post(
            target.url,
            json=body,
            headers={DELIVERY_HEADER: delivery_id, "User-Agent": USER_AGENT},
            timeout=target.timeout,
            allow_redirects=False,
            stream=True,  # only the status matters: the body is never read
        )
    except requests.RequestException as exc:
        log.warning(
            "webhook %s delivery=%s failed: %s after %.0f ms",
            where, delivery_id, exc.__class__.__name__, (time.monotonic() - started) * 1000,
        )  # fmt: skip
        # `from None`: requests' own message (and so a chained traceback) holds the full URL.
        raise WebhookFailed(f"webhook {where}: {exc.__class__.__name__}") from None
    status = response.status_code
    response.close()
    elapsed_ms = (time.monotonic() - started) * 1000
    if 200 <= status < 300:
        log.info("webhook %s delivery=%s answered %s in %.0f ms", where, delivery_id, status, elapsed_ms)
        return status
    log.warning("webhook %s delivery=%s answered %s in %.0f ms", where, delivery_id, status, elapsed_ms)
    if status >= 500 or status in RETRY_STATUSES:
        raise WebhookFailed(f"webhook {where} answered {status}")
    if 300 <= status < 400:
        raise WebhookRejected(f"webhook {where} answered a redirect ({status}); redirects are not followed")
    raise WebhookRejected(f"webhook {where} answered {status}")


# --- status change notifications --------------------------------------------------------


def worth_notifying(change: ConfirmedChange) -> bool:
    # A deployment's very first confirmed status is news only if it is a problem.
    return bool(change.from_status) or change.to_status in settings.POND_STATUS_INCIDENT_STATUSES


def message(change: ConfirmedChange) -> str:
    """Plain text (the sender escapes it for Slack)."""
    name = change.name or change.deployment_id
    was = f" (was {change.from_status})" if change.from_status else ""
    when = change.since.strftime("%Y-%m-%d %H:%M:%S UTC")
    return (
        f"Deployment {name} ({change.deployment_id}) of model {change.model_id or '?'}, "
        f"version {change.version_id or '?'}, is now {change.to_status}{was}, since {when}."
    )


def change_announce(change: ConfirmedChange) -> list[str]:
    """Queue the notification of a confirmed change for every status webhook."""
    if not worth_notifying(change):
        return []
    return enqueue(kind="status", payload={"text": message(change)})
