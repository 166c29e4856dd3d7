"""Celery tasks of reviews: thin, one service call each (scheduled in settings)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from webui.jfrogml.locks import lock
from webui.reviews import decisions


@shared_task(
    name="webui.reviews.tasks.decisions_recover",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=30,
    max_retries=3,
)
def decisions_recover() -> str:
    """Finish, or undo, decisions left half-applied (a killed web worker, an upstream
    that stopped answering): every POND_DECISION_RECOVERY_INTERVAL seconds."""
    # Two beats (or a slow tick and the next one) need not both walk the list; each
    # decision is also taken under its model's lock, so this only saves work. Renewed
    # while held: a worker killed holding it frees it within a few seconds.
    with lock("reviews:decisions-recover", timeout=10, renew=True) as acquired:
        if not acquired:
            return "locked"
        return f"{decisions.decisions_recover()} recovered"
