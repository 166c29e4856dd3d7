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
    APPLYING = "applying"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"
    UNRESTORED = "unrestored"
    STATE_CHOICES = [
        (PENDING, "pending"),
        # Approved; its recorded steps are being applied (see `Decision`).
        (APPLYING, "approved, being applied"),
        (APPROVED, "approved"),
        (REJECTED, "rejected"),
        (CANCELLED, "cancelled"),
        # Approved, but a step failed where nothing needed undoing (nothing had changed,
        # or only the deployment failed: the version is production all the same).
        (FAILED, "approved, applying failed"),
        # A step failed after the archive: the archived version(s) are production again.
        (ROLLED_BACK, "failed, rolled back"),
        # ... and restoring them failed too: the model is left without production.
        (UNRESTORED, "failed, left without production"),
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


class Decision(models.Model):
    """An approved (or direct) promotion as a recorded plan: the steps it takes upstream.

    Written in the decision's own transaction (with its ledger entry and, for a request,
    the claim), before any upstream call; each step then records its outcome. Whatever
    stops the web request part way (a crash, a timeout, an upstream that stops
    answering), `webui.reviews.decisions.decisions_recover` finishes the plan or undoes
    it. `state` is where the plan stands; a request's state follows it.
    """

    APPLYING = "applying"
    APPLIED = "applied"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"
    UNRESTORED = "unrestored"
    STATE_CHOICES = [
        (APPLYING, "being applied"),
        (APPLIED, "applied"),
        (FAILED, "failed, nothing to undo"),
        (ROLLED_BACK, "failed, rolled back"),
        (UNRESTORED, "failed, left without production"),
    ]
    # The request state that shows each decision state.
    REQUEST_STATE = {
        APPLYING: ReviewRequest.APPLYING,
        APPLIED: ReviewRequest.APPROVED,
        FAILED: ReviewRequest.FAILED,
        ROLLED_BACK: ReviewRequest.ROLLED_BACK,
        UNRESTORED: ReviewRequest.UNRESTORED,
    }

    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="plan")
    request = models.OneToOneField(
        ReviewRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="decision"
    )
    actor = models.CharField(max_length=150)
    model_id = models.CharField(max_length=255, db_index=True)
    model_name = models.CharField(max_length=255, blank=True)
    version_id = models.CharField(max_length=255)
    version_label = models.CharField(max_length=255, blank=True)
    to_status = models.CharField(max_length=32, choices=STATUS_CHOICES)
    state = models.CharField(max_length=16, choices=STATE_CHOICES, default=APPLYING, db_index=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Last activity on the plan: recovery leaves it alone for POND_DECISION_RECOVERY_GRACE after this.
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.model_name or self.model_id} {self.version_label or self.version_id} → {self.to_status} ({self.state})"


class DecisionStep(models.Model):
    """One upstream change of a decision, planned before it is made.

    A step is done once JFrog ML shows its result (or, where JFrog ML cannot record
    statuses, once Pond recorded it); before each attempt after the first it asks JFrog
    ML whether that is already so, so a retried step is never applied twice.
    """

    ARCHIVE = "archive"
    PROMOTE = "promote"
    DEPLOY = "deploy"
    RESTORE = "restore"
    KIND_CHOICES = [
        (ARCHIVE, "archive the current production version"),
        (PROMOTE, "move the candidate"),
        (DEPLOY, "deploy the candidate"),
        (RESTORE, "restore to production (compensation)"),
    ]
    FORWARD = (ARCHIVE, PROMOTE, DEPLOY)

    PLANNED = "planned"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    COMPENSATED = "compensated"
    STATE_CHOICES = [
        (PLANNED, "planned"),
        (DONE, "done"),
        (FAILED, "failed"),
        (SKIPPED, "not applied (an earlier step failed)"),
        (COMPENSATED, "done, then undone"),
    ]

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="steps")
    order = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=KIND_CHOICES)
    version_id = models.CharField(max_length=255)
    version_label = models.CharField(max_length=255, blank=True)
    from_status = models.CharField(max_length=32, blank=True)
    to_status = models.CharField(max_length=32, blank=True)
    # The version as it was when planned, for the ledger entry the step writes.
    upstream_before = models.CharField(max_length=32, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    version_created_at = models.CharField(max_length=64, blank=True)
    state = models.CharField(max_length=16, choices=STATE_CHOICES, default=PLANNED, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # A restore step: the archive step it undoes.
    compensates = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="compensated_by"
    )
    # The ledger entry that records the step's outcome.
    entry = models.OneToOneField(LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="step")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["decision", "order"]
        constraints = [models.UniqueConstraint(fields=["decision", "order"], name="reviews_one_step_per_place")]

    def __str__(self) -> str:
        return f"{self.order}. {self.kind} {self.version_label or self.version_id} → {self.to_status} ({self.state})"


class OutboxMessage(models.Model):
    """A webhook delivery, written in the transaction of the event it announces.

    Everything Pond tells the world goes through here (`webui.status.webhooks.enqueue`):
    a crash between the event's commit and the send delays the message, never loses
    it, since a Celery beat task sends every due row (`webhook_outbox_send`). Sends are
    at least once; receivers drop duplicates by `delivery_id` (the X-Pond-Delivery
    header), which every retry repeats. (Kept in this app's tables for both kinds of
    webhook, status and review, so that one sender serves both.)
    """

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    STATE_CHOICES = [(PENDING, "pending"), (SENT, "sent"), (FAILED, "given up")]

    # "status:<digest>" or "review:<digest>": never the URL (webui.status.webhooks).
    subscription = models.CharField(max_length=64)
    payload = models.JSONField()
    delivery_id = models.CharField(max_length=64, unique=True)
    state = models.CharField(max_length=8, choices=STATE_CHOICES, default=PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Due at; while a sender holds the row, the end of its lease.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # The Celery task holding the lease: its own retries may take the row again early.
    leased_by = models.CharField(max_length=64, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="reviews_outbox_due")]
        verbose_name = "webhook outbox message"

    def __str__(self) -> str:
        return f"{self.delivery_id} to {self.subscription} ({self.state})"
