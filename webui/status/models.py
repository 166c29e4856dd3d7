"""What the deployment poller observed, kept in Pond's own database.

Upstream objects are referenced by their string IDs: JFrog ML owns them, Pond owns
only what it saw happen to them.
"""

from __future__ import annotations

import hashlib

from django.db import models

# The pseudo-status of a deployment that the upstream list no longer contains.
GONE = "gone"


# Upstream ids are any string (1,000 characters and more): the poller stores them up
# to this length and skips, with a warning, a deployment whose id is longer, rather
# than fail the whole poll. Names and statuses are display text: cut to their columns.
ID_MAX = 2048
NAME_MAX = 300
STATUS_MAX = 64


class DeploymentState(models.Model):
    """The poller's last knowledge of one deployment (one row per deployment ever seen)."""

    deployment_id = models.CharField(max_length=ID_MAX, unique=True)
    name = models.CharField(max_length=300, blank=True)
    model_id = models.CharField(max_length=ID_MAX, blank=True)
    version_id = models.CharField(max_length=ID_MAX, blank=True)
    # The raw status of the latest poll, shown at once (marked unconfirmed until
    # `streak` reaches settings.POND_STATUS_CONFIRMATIONS).
    status = models.CharField(max_length=64)
    status_since = models.DateTimeField()
    streak = models.PositiveIntegerField(default=1)
    # The status seen on enough consecutive polls to count; "" until the first one is.
    confirmed_status = models.CharField(max_length=64, blank=True)
    confirmed_since = models.DateTimeField(null=True, blank=True)
    # Number of events recorded for this deployment: the next event's sequence is
    # sequence + 1, written in the same transaction as this row.
    sequence = models.PositiveIntegerField(default=0)
    first_observed_at = models.DateTimeField()
    last_observed_at = models.DateTimeField()

    class Meta:
        ordering = ["deployment_id"]

    def __str__(self) -> str:
        return f"{self.deployment_id}: {self.status}"


class DeploymentEvent(models.Model):
    """One observed change of a deployment's raw status (appearing and disappearing too)."""

    deployment_id = models.CharField(max_length=ID_MAX)
    sequence = models.PositiveIntegerField()
    model_id = models.CharField(max_length=ID_MAX, blank=True)
    version_id = models.CharField(max_length=ID_MAX, blank=True)
    from_status = models.CharField(max_length=64, blank=True)  # "" when it appeared
    to_status = models.CharField(max_length=64)  # GONE when it disappeared
    observed_at = models.DateTimeField()

    class Meta:
        ordering = ["deployment_id", "sequence"]
        constraints = [
            # A retried or concurrent poll can never write the same transition twice.
            models.UniqueConstraint(fields=["deployment_id", "sequence"], name="status_event_once"),
        ]
        indexes = [models.Index(fields=["observed_at"], name="status_event_observed")]

    def __str__(self) -> str:
        return (
            f"{self.deployment_id}#{self.sequence}: {self.from_status or '-'} -> {self.to_status}"
        )


class Incident(models.Model):
    """A confirmed failure of one deployment, open until a confirmed recovery."""

    deployment_id = models.CharField(max_length=ID_MAX)
    deployment_name = models.CharField(max_length=300, blank=True)
    model_id = models.CharField(max_length=ID_MAX, blank=True)
    version_id = models.CharField(max_length=ID_MAX, blank=True)
    status = models.CharField(max_length=64)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    recovered_to = models.CharField(max_length=64, blank=True)
    # The event that opened it: opening the same incident twice is impossible.
    opened_by_sequence = models.PositiveIntegerField()

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["deployment_id", "opened_by_sequence"], name="status_incident_once"
            ),
        ]
        indexes = [models.Index(fields=["-started_at"], name="status_incident_started")]

    def __str__(self) -> str:
        return f"{self.deployment_id} {self.status} from {self.started_at:%Y-%m-%d %H:%M}"


class ObservationWindow(models.Model):
    """A stretch of time during which the poller was succeeding.

    Uptime counts only time inside these windows: a poller outage is not knowledge
    that a deployment was up (or down).
    """

    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()

    class Meta:
        ordering = ["started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M:%S} .. {self.ended_at:%Y-%m-%d %H:%M:%S}"


class PollerHealth(models.Model):
    """The poller's own health: a single row (pk=1)."""

    last_started_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    error_since = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_cycle_seconds = models.FloatField(null=True, blank=True)

    def __str__(self) -> str:
        return f"poller: last success {self.last_success_at}"


class ShareLink(models.Model):
    """A revocable link that opens the status pages (and nothing else) without a login."""

    label = models.CharField(max_length=200)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # When a holder last used it (the page, a badge, the feed), to the minute: recorded
    # at most once a minute (webui.status.access.share_link_used), never per request.
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("manage_share_links", "Can create and revoke status share links")]

    def __str__(self) -> str:
        return self.label

    @staticmethod
    def hash_token(token: str) -> str:
        # The token is 256 random bits: a plain SHA-256 is enough (no salt or
        # stretching needed, unlike a password), and it allows an indexed lookup.
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def active(self) -> bool:
        return self.revoked_at is None
