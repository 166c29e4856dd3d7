"""Figures read when /metrics is scraped: Pond's state, not events in one process.

The database and the shared cache hold them already (the poller's health row, the
deployments it observed, incidents, reviews, the breaker's state), the same for
every process: reading them per scrape is exact, costs a few small queries, and
needs no gauge kept in step across processes.

Deployment statuses come from upstream, so they are counted under the spec's four
names; anything else a server sends is counted as "other" (never a label of its own).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from webui.jfrogml.breaker import Breaker
from webui.jfrogml.client import upstream_namespace
from webui.jfrogml.resources import DEPLOYMENT_STATUSES

log = logging.getLogger("pond.metrics")

BREAKER_STATES = ("closed", "open", "half_open")


class PondStateCollector:
    """A prometheus_client collector: `collect()` is called once per scrape."""

    def collect(self) -> Iterator[Metric]:
        yield _breaker()
        try:
            figures = list(_database())
        except Exception:  # the database is down: say so, and still answer the rest
            log.warning("metrics: could not read Pond's state from the database", exc_info=True)
            figures = []
        up = GaugeMetricFamily("pond_state_up", "1 when the figures read from Pond's database could be read.")
        up.add_metric([], 1 if figures else 0)
        yield up
        yield from figures


def _breaker() -> Metric:
    family = GaugeMetricFamily(
        "pond_upstream_breaker_state",
        "The circuit breaker in front of JFrog ML: 1 for its current state "
        "(closed: calls go through; open: calls refused; half_open: the next call is a trial).",
        labels=["state"],
    )
    try:
        current = Breaker(upstream_namespace()).state
    except Exception:  # the cache is down: the breaker cannot be open then (its state lives there)
        log.warning("metrics: could not read the breaker's state", exc_info=True)
        current = "closed"
    for state in BREAKER_STATES:
        family.add_metric([state], 1 if state == current else 0)
    return family


def _database() -> Iterator[Metric]:
    from webui.reviews.models import ReviewRequest
    from webui.status.models import GONE, DeploymentState, Incident, PollerHealth

    health = PollerHealth.objects.filter(pk=1).first()
    last_success = health.last_success_at if health is not None else None
    age = GaugeMetricFamily(
        "pond_poller_last_success_age_seconds",
        "Seconds since the deployment poller last succeeded (+Inf: never).",
    )
    age.add_metric([], (timezone.now() - last_success).total_seconds() if last_success else math.inf)
    yield age
    stale = GaugeMetricFamily(
        "pond_poller_stale_after_seconds",
        "The age past which the status page shows deployments as unknown "
        "(POND_STATUS_STALE_INTERVALS x POND_POLL_INTERVAL).",
    )
    stale.add_metric([], settings.POND_STATUS_STALE_INTERVALS * settings.POND_POLL_INTERVAL)
    yield stale
    cycle = GaugeMetricFamily("pond_poller_last_cycle_seconds", "Time the last successful poll took.")
    cycle.add_metric([], health.last_cycle_seconds if health and health.last_cycle_seconds is not None else math.nan)
    yield cycle
    failures = GaugeMetricFamily(
        "pond_poller_consecutive_failures", "Polls that failed in a row since the last success."
    )
    failures.add_metric([], health.consecutive_failures if health is not None else 0)
    yield failures

    counts = {status: 0 for status in (*DEPLOYMENT_STATUSES, "other", "unconfirmed")}
    rows = (
        DeploymentState.objects.exclude(confirmed_status=GONE)
        .values("confirmed_status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        status = row["confirmed_status"]
        label = "unconfirmed" if not status else status if status in DEPLOYMENT_STATUSES else "other"
        counts[label] += row["n"]
    deployments = GaugeMetricFamily(
        "pond_deployments",
        "Deployments the poller sees, by confirmed status (unconfirmed: not seen long enough yet).",
        labels=["status"],
    )
    for status, n in counts.items():
        deployments.add_metric([status], n)
    yield deployments

    incidents = GaugeMetricFamily("pond_incidents_open", "Incidents not yet ended.")
    incidents.add_metric([], Incident.objects.filter(ended_at__isnull=True).count())
    yield incidents
    reviews = GaugeMetricFamily("pond_reviews_pending", "Promotion requests waiting for a decision.")
    reviews.add_metric([], ReviewRequest.objects.filter(state=ReviewRequest.PENDING).count())
    yield reviews
