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

import requests
from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError, transaction

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
    for change in outcome.confirmed:
        if not webhooks.worth_notifying(change):
            continue
        text = webhooks.message(change)
        for url in settings.POND_STATUS_WEBHOOKS:
            # A separate task per webhook: a slow or failing one never holds up polling.
            transaction.on_commit(
                lambda url=url, text=text: status_webhook_send.delay(url=url, text=text)
            )
    return outcome.reason


@shared_task(
    name="webui.status.tasks.status_webhook_send",
    autoretry_for=(requests.RequestException, webhooks.WebhookFailed),
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=settings.POND_STATUS_WEBHOOK_RETRIES,
)
def status_webhook_send(url: str, text: str) -> None:
    webhooks.send(url=url, text=text)


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
    return "ok"
