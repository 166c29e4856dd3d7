"""The activity record: every successful write through Pond, by whom, on what, and what changed.

Beside the promotion ledger (webui.reviews), with the same guarantees: append-only
in the model, the queryset and the admin. JFrog ML knows only Pond's service
principal, so this record is where a person stands behind each change.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ActivityImmutable(Exception):
    pass


class ActivityQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ActivityImmutable("The activity record is append-only: entries cannot be changed.")

    def delete(self):
        raise ActivityImmutable("The activity record is append-only: entries cannot be deleted.")


class Activity(models.Model):
    # What was done: the words the audit page and its CSV both use.
    CREATED = "created"
    EDITED = "edited"
    DELETED = "deleted"
    DEPLOYED = "deployed"
    STOPPED = "stopped"
    SCALED = "scaled"
    SHARED = "shared"
    REVOKED = "revoked"
    OBSERVED = "observed"  # seen upstream, made by nobody through Pond
    ACTION_CHOICES = [
        (a, a)
        for a in (CREATED, EDITED, DELETED, DEPLOYED, STOPPED, SCALED, SHARED, REVOKED, OBSERVED)
    ]

    MODEL = "model"
    VERSION = "version"
    EXPERIMENT = "experiment"
    DEPLOYMENT = "deployment"
    SHARE_LINK = "share link"
    API_TOKEN = "API token"  # noqa: S105 - a kind of object, not a secret
    # The status page's (webui/status: incidents.py, maintenance.py, subscriptions.py).
    INCIDENT = "incident"
    INCIDENT_UPDATE = "incident update"
    MAINTENANCE = "maintenance"
    SUBSCRIPTION = "subscription"
    KIND_CHOICES = [
        (k, k)
        for k in (
            MODEL,
            VERSION,
            EXPERIMENT,
            DEPLOYMENT,
            SHARE_LINK,
            API_TOKEN,
            INCIDENT,
            INCIDENT_UPDATE,
            MAINTENANCE,
            SUBSCRIPTION,
        )
    ]

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.CharField(max_length=150, db_index=True)
    action = models.CharField(max_length=16, choices=ACTION_CHOICES, db_index=True)
    object_kind = models.CharField(max_length=16, choices=KIND_CHOICES)
    object_id = models.CharField(max_length=1024, db_index=True)
    # Names at the time: the object may be renamed or deleted later.
    object_name = models.CharField(max_length=1024, blank=True)
    model_id = models.CharField(max_length=1024, blank=True, db_index=True)
    model_name = models.CharField(max_length=1024, blank=True)
    # Edits: {field: [before, after]}; other writes: what was set.
    changes = models.JSONField(default=dict, blank=True)
    # Anything else worth keeping: what went with a delete, an override's reason.
    details = models.JSONField(default=dict, blank=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "activity"
        verbose_name_plural = "activity record"
        indexes = [models.Index(fields=["object_kind", "object_id", "action"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_kind} {self.object_name or self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ActivityImmutable(
                "The activity record is append-only: entries cannot be changed."
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ActivityImmutable("The activity record is append-only: entries cannot be deleted.")


class SeenStatus(models.Model):
    """The status Pond last saw an object in upstream: the baseline that tells a change
    made outside Pond from one Pond made. The first sighting is the baseline (a version
    created before Pond watched it is not news); a later change that no ledger entry
    explains is recorded once, as an `observed` activity (webui.activity.observed).

    Keyed by a digest of kind and id: an upstream id is any string, up to 1,024
    characters, too long for a unique index everywhere.
    """

    key = models.CharField(max_length=64, unique=True)
    object_kind = models.CharField(max_length=16)
    object_id = models.CharField(max_length=1024)
    model_id = models.CharField(max_length=1024, blank=True, db_index=True)
    status = models.CharField(max_length=64, blank=True)
    seen_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.object_kind} {self.object_id}: {self.status}"
