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
    # Names at the time it opened (the catalog's, when the poller could read it).
    model_name = models.CharField(max_length=NAME_MAX, blank=True)
    version_label = models.CharField(max_length=NAME_MAX, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=150, blank=True)
    # The promotion (webui.reviews.models.LedgerEntry pk) that preceded it within
    # POND_STATUS_PROMOTION_WINDOW, if any: "started 12 min after 3.1.0 was promoted by ...".
    promotion_entry_id = models.BigIntegerField(null=True, blank=True)
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


# --- incidents people read and write, maintenance windows, subscriptions ----------------
# (issue 15). Names are kept as they were when the row was written: a model renamed or
# deleted later does not rewrite what the team saw at the time.


class IncidentUpdate(models.Model):
    """A person's note on an incident, Statuspage-style: what the team knows now."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    STATE_CHOICES = [
        (INVESTIGATING, "Investigating"),
        (IDENTIFIED, "Identified"),
        (MONITORING, "Monitoring"),
        (RESOLVED, "Resolved"),
    ]
    TEXT_MAX = 5000

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    state = models.CharField(max_length=16, choices=STATE_CHOICES)
    text = models.TextField(blank=True)
    author = models.CharField(max_length=150)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"incident {self.incident_id}: {self.state} by {self.author}"


class MaintenanceWindow(models.Model):
    """Planned downtime of one deployment or of every deployment of one model.

    Inside it, a failure opens no incident and its time counts neither as up nor as
    down (uptime shows maintenance separately)."""

    DEPLOYMENT = "deployment"
    MODEL = "model"
    SCOPE_CHOICES = [(DEPLOYMENT, "Deployment"), (MODEL, "Model")]
    REASON_MAX = 2000

    scope = models.CharField(max_length=16, choices=SCOPE_CHOICES)
    target_id = models.CharField(max_length=ID_MAX)
    target_name = models.CharField(max_length=NAME_MAX, blank=True)
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField(db_index=True)
    reason = models.TextField(blank=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.CharField(max_length=150, blank=True)
    # Set once its start (end) has been announced to subscribers: announced once.
    start_announced_at = models.DateTimeField(null=True, blank=True)
    end_announced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="status_maintenance_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.target_name or self.target_id}: {self.starts_at:%Y-%m-%d %H:%M} .. {self.ends_at:%Y-%m-%d %H:%M}"


class StatusSubscription(models.Model):
    """A webhook that hears about one deployment, one model, or everything.

    The URL is a credential (Slack keeps its secret in the path): pages show its host
    only, and the sender (webui.status.webhooks) names it by "sub:<pk>", never by URL.
    Its delivery log is the outbox (webui.reviews.models.OutboxMessage) rows of that key."""

    SLACK = "slack"
    JSON = "json"
    FORMAT_CHOICES = [(SLACK, "Slack-compatible ({\"text\": …})"), (JSON, "JSON (Pond's event document)")]
    ALL = "all"
    DEPLOYMENT = "deployment"
    MODEL = "model"
    SCOPE_CHOICES = [(ALL, "Every deployment"), (MODEL, "A model"), (DEPLOYMENT, "A deployment")]
    URL_MAX = 2000

    label = models.CharField(max_length=200)
    format = models.CharField(max_length=8, choices=FORMAT_CHOICES)
    url = models.URLField(max_length=URL_MAX)
    scope = models.CharField(max_length=16, choices=SCOPE_CHOICES, default=ALL)
    target_id = models.CharField(max_length=ID_MAX, blank=True)
    target_name = models.CharField(max_length=NAME_MAX, blank=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField()
    disabled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.label

    @property
    def key(self) -> str:
        return f"sub:{self.pk}"
