"""What Pond keeps about promotions: requests, the append-only ledger, and rules.

Upstream objects (models, versions) are referenced by their JFrog ML string ids;
their names and labels are copied in so that the record still reads after the
upstream object is gone.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from webui.reviews.transitions import STATUSES

STATUS_CHOICES = [(s, s) for s in STATUSES]


class LedgerImmutable(Exception):
    """Raised on any attempt to change or remove a ledger entry."""


class LedgerQuerySet(models.QuerySet):
    """Bulk writes that would rewrite history are refused at the queryset."""

    def update(self, **kwargs):
        raise LedgerImmutable("The promotion ledger is append-only: entries cannot be updated.")

    def delete(self):
        raise LedgerImmutable("The promotion ledger is append-only: entries cannot be deleted.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise LedgerImmutable("The promotion ledger is append-only: entries cannot be updated.")

    def update_or_create(self, defaults=None, create_defaults=None, **kwargs):
        raise LedgerImmutable("The promotion ledger is append-only: entries cannot be updated.")


class ReviewRequest(models.Model):
    """A request to move one model version to another status; decided once."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    FAILED = "failed"
    STATE_CHOICES = [
        (PENDING, "pending"),
        (APPROVED, "approved"),
        (REJECTED, "rejected"),
        (CANCELLED, "cancelled"),
        # Approved, but applying it upstream failed part way (see its ledger entries).
        (FAILED, "approved, applying failed"),
    ]

    model_id = models.CharField(max_length=255, db_index=True)
    model_name = models.CharField(max_length=255, blank=True)
    version_id = models.CharField(max_length=255, db_index=True)
    version_label = models.CharField(max_length=255, blank=True)
    from_status = models.CharField(max_length=32)
    to_status = models.CharField(max_length=32, choices=STATUS_CHOICES)
    note = models.TextField()
    archive_current = models.BooleanField(default=True)
    deploy = models.BooleanField(default=False)
    # SET_NULL, so that a user can still be deleted; who asked is kept by name (as the
    # ledger keeps its actors), and the two-person rule compares on it: see `asked_by`.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="promotion_requests"
    )
    requested_by_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    state = models.CharField(max_length=16, choices=STATE_CHOICES, default=PENDING, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by_name = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)
    override_reason = models.TextField(blank=True)
    outcome_message = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One open question per version at a time: a second request would race the first.
            models.UniqueConstraint(
                fields=["model_id", "version_id"],
                condition=models.Q(state="pending"),
                name="reviews_one_pending_request_per_version",
            )
        ]

    def __str__(self) -> str:
        return f"{self.model_name or self.model_id} {self.version_label or self.version_id} → {self.to_status} ({self.state})"

    @property
    def is_pending(self) -> bool:
        return self.state == self.PENDING

    @property
    def requester_known(self) -> bool:
        """False once both the requester's account and the name kept beside it are gone."""
        return self.requested_by_id is not None or bool(self.requested_by_name.strip())

    def asked_by(self, user) -> bool:
        """Whether `user` is who asked: the same account, or one with the requester's
        username (ignoring case), since an account deleted and made again under the same
        name (an SSO re-provision) is the same person, and a user row may be deleted."""
        if self.requested_by_id is not None and self.requested_by_id == user.pk:
            return True
        name = self.requested_by_name.strip()
        return bool(name) and name.casefold() == user.get_username().strip().casefold()


class LedgerEntry(models.Model):
    """One thing that happened to a version's promotion, forever.

    Rows are only ever inserted: `save()` on an existing row, `delete()`, and the
    queryset's `update()`/`delete()` all raise `LedgerImmutable`.
    """

    REQUEST = "request"
    APPROVE = "approve"
    REJECT = "reject"
    CANCEL = "cancel"
    OVERRIDE = "override"
    DIRECT = "direct"
    APPLY = "apply"
    DEPLOY = "deploy"
    KIND_CHOICES = [
        (REQUEST, "requested"),
        (APPROVE, "approved"),
        (REJECT, "rejected"),
        (CANCEL, "withdrew"),
        (OVERRIDE, "overrode rules"),
        (DIRECT, "promoted directly"),
        (APPLY, "applied"),
        (DEPLOY, "deployed"),
    ]

    # Outcome of an applied step (kinds apply and deploy).
    UPSTREAM = "upstream"  # JFrog ML now records the change
    POND = "pond"  # JFrog ML cannot record it: Pond's record is the effective status
    FAILED = "failed"  # nothing changed for this step
    OUTCOME_CHOICES = [
        ("", "—"),
        (UPSTREAM, "set in JFrog ML"),
        (POND, "recorded by Pond only"),
        (FAILED, "failed"),
    ]

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=16, choices=KIND_CHOICES, db_index=True)
    actor = models.CharField(max_length=150, db_index=True)
    model_id = models.CharField(max_length=255, db_index=True)
    model_name = models.CharField(max_length=255, blank=True)
    version_id = models.CharField(max_length=255, db_index=True)
    version_label = models.CharField(max_length=255, blank=True)
    from_status = models.CharField(max_length=32, blank=True)
    to_status = models.CharField(max_length=32, blank=True)
    comment = models.TextField(blank=True)
    outcome = models.CharField(max_length=16, choices=OUTCOME_CHOICES, blank=True)
    # The version's metrics at that moment, as JFrog ML (or Pond's cache) had them.
    metrics = models.JSONField(default=dict, blank=True)
    # Anything else worth keeping: rule results, production metrics, the upstream
    # status before an applied step, error text, the deployment created.
    details = models.JSONField(default=dict, blank=True)
    request = models.ForeignKey(
        ReviewRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )

    objects = LedgerQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "ledger entry"
        verbose_name_plural = "ledger"
        indexes = [models.Index(fields=["model_id", "version_id", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.kind} {self.version_label or self.version_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise LedgerImmutable("The promotion ledger is append-only: entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerImmutable("The promotion ledger is append-only: entries cannot be deleted.")

    @property
    def applied(self) -> bool:
        """True for a step that took effect (upstream or in Pond's record)."""
        return self.kind == self.APPLY and self.outcome in (self.UPSTREAM, self.POND)


class PromotionRule(models.Model):
    """A gate a version must pass to be promoted (editable by admins in Django admin).

    Scope: a model id, a tag, both (the model must match both) or neither (every
    model). Target: the status the rule guards ("" = any move).
    """

    METRIC_MIN = "metric_min"
    METRIC_MAX = "metric_max"
    NOT_BELOW_PRODUCTION = "metric_not_below_production"
    REQUIRES_ARTIFACT = "requires_artifact_path"
    KIND_CHOICES = [
        (METRIC_MIN, "metric at least threshold"),
        (METRIC_MAX, "metric at most threshold"),
        (NOT_BELOW_PRODUCTION, "metric not worse than production (direction-aware)"),
        (REQUIRES_ARTIFACT, "requires an artifact path"),
    ]

    scope_model_id = models.CharField("model id", max_length=255, blank=True, db_index=True)
    scope_tag = models.CharField("tag", max_length=255, blank=True, db_index=True)
    kind = models.CharField(max_length=40, choices=KIND_CHOICES)
    metric = models.CharField(max_length=255, blank=True)
    threshold = models.FloatField(null=True, blank=True)
    target_status = models.CharField(
        max_length=32, choices=[("", "any move"), *STATUS_CHOICES], default="production", blank=True
    )
    enabled = models.BooleanField(default=True)
    description = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["scope_model_id", "scope_tag", "id"]

    def __str__(self) -> str:
        from webui.reviews.rules import RuleSpec

        return RuleSpec.from_model(self).describe()

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from webui.reviews.rules import RuleSpec, RuleSpecError

        try:
            RuleSpec.from_model(self).validate()
        except RuleSpecError as exc:
            raise ValidationError({exc.field: exc.message}) from None
