"""Celery tasks of the status page: thin, primitive arguments, one service call each.

Scheduling lives in settings.CELERY_BEAT_SCHEDULE. The poll tick runs every
POND_POLL_FAST_INTERVAL and `poller.poll()` decides whether a poll is due, so the
"poll faster while something is deploying" rule and the backoff after upstream
failures live in one place (the poller's health row), not in self-rescheduling
tasks that could pile up. Upstream failures are therefore not retried with
`self.retry` (the next tick is the retry, once the backoff allows it); database
hiccups are (`autoretry_for`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError

from webui.jfrogml import errors, locks, services
from webui.status import poller, webhooks

log = logging.getLogger("pond.status.tasks")


@shared_task(
    name="webui.status.tasks.deployment_status_poll",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=30,
    max_retries=3,
)
def deployment_status_poll(force: bool = False) -> str:
    outcome = poller.poll(force=force)
    if outcome.polled and not services.catalog_exists() and cache.add("status:catalog-kick", 1, timeout=60):
        # Model names on the status page come from the catalog; without one (a fresh
        # start) build it now rather than at the first slow catalog_refresh tick.
        catalog_refresh.delay()
    # Confirmed changes were announced by the poll itself, in the transaction that
    # confirmed each (webui.status.poller.observe), through the webhook outbox.
    return outcome.reason


@shared_task(
    name="webui.status.tasks.webhook_send",
    bind=True,
    autoretry_for=(webhooks.WebhookFailed,),
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=settings.POND_STATUS_WEBHOOK_RETRIES,
)
def webhook_send(self, subscription: str, payload: dict, delivery_id: str, outbox: bool = False) -> int | None:
    """Pond's one webhook sender (status changes and review decisions alike).

    Takes a subscription key, never a URL: the URL is looked up among the configured
    webhooks, so a message on the broker can neither carry the credential nor point
    the sender elsewhere. Redirects and 4xx fail without a retry (WebhookRejected).
    With `outbox` (every delivery `enqueue` queues) it sends the outbox row of that
    delivery id, and does nothing if the row is already sent or in another sender's
    hands; its retries (same task id) may take the row back at once.
    """
    owner = self.request.id or f"local-{delivery_id}"
    return webhooks.send(subscription=subscription, payload=payload, delivery_id=delivery_id, owner=owner, outbox=outbox)


@shared_task(
    name="webui.status.tasks.webhook_outbox_send",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=30,
    max_retries=3,
)
def webhook_outbox_send() -> int:
    """Beat's sweep of the webhook outbox: what a crash, a lost broker message or a
    failing receiver left unsent is sent when due (see webui/status/webhooks.py)."""
    return webhooks.outbox_send_due()


@shared_task(
    name="webui.status.tasks.catalog_refresh",
    autoretry_for=(errors.Unavailable,),
    retry_backoff=5,
    retry_backoff_max=120,
    max_retries=2,
)
def catalog_refresh() -> str:
    # Two beats (or a beat and a manual run) must not page through every model twice.
    with locks.lock("status:catalog-refresh", timeout=settings.CELERY_TASK_TIME_LIMIT) as acquired:
        if not acquired:
            return "locked"
        services.catalog_refresh()
        _versions_seen()
    return "ok"


@shared_task(
    name="webui.status.tasks.experiments_refresh",
    autoretry_for=(errors.Unavailable,),
    retry_backoff=5,
    retry_backoff_max=120,
    max_retries=2,
)
def experiments_refresh() -> str:
    """Keep the list of every experiment warm (the experiments page, the overview and
    hygiene read it): a page answers from it at once instead of waiting for JFrog ML."""
    with locks.lock("status:experiments-refresh", timeout=settings.CELERY_TASK_TIME_LIMIT) as acquired:
        if not acquired:
            return "locked"
        return f"{services.experiments_refresh()} experiments"


def _versions_seen() -> None:
    """Every version status the refresh read, against what Pond last saw: a change
    made outside Pond is recorded and flagged (webui.activity.observed)."""
    from webui.activity.observed import SeenVersion, versions_seen
    from webui.jfrogml import catalog

    cat = catalog.get_catalog()
    seen = (
        SeenVersion(
            row.id,
            row.name or "",
            v.id,
            v.label or "",
            v.status or "",
            as_of=datetime.fromtimestamp(row.versions_at, UTC),
        )
        for row in cat.rows
        # A row keeps the version list of its last fetch (unchanged models are not
        # fetched every run): each status is as old as that fetch.
        if row.versions_at
        for v in (row.versions or ())
    )
    versions_seen(seen)
