"""Status subscriptions: webhooks people add on the subscriptions page, each hearing
about everything, one model or one deployment; their delivery log; and the same choice
as a filter of the Atom feed.

Sending is webui.status.webhooks' job (`status_announce` picks the subscriptions an
announcement concerns). Here: what may be subscribed (`subscription_create` checks
the form and writes nothing on bad input), disabling, what each one's deliveries did
(`delivery_log`, from the outbox rows of its key), and the feed's `?model=` /
`?deployment=` (`feed_filter`).

A subscription's URL is a credential: nothing here returns it but `host`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from webui.activity.models import Activity
from webui.activity.services import activity_record
from webui.status import snapshot, webhooks
from webui.status.models import ID_MAX, NAME_MAX, StatusSubscription
from webui.status.text import control_problem, name_kept

# The activity record's word for these (Activity.object_kind holds 16 characters).
ACTIVITY_KIND = "subscription"
LABEL_MAX = 200
# Deliveries listed per subscription on the page (the outbox keeps POND_WEBHOOK_KEEP_DAYS).
RECENT_DELIVERIES = 10
SHOWN = 200
SUMMARY_MAX = 100
# The feed's filter parameters, named as the subscription scopes they mirror.
FEED_PARAMS = (StatusSubscription.MODEL, StatusSubscription.DEPLOYMENT)
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# --- what may be subscribed -----------------------------------------------------------


@dataclass(frozen=True)
class Target:
    id: str
    name: str
    detail: str = ""  # a deployment's model, to tell two same-named deployments apart


@dataclass(frozen=True)
class Targets:
    """The models and deployments on the status page: what a subscription can be scoped to."""

    models: list[Target]
    deployments: list[Target]

    def model(self, target_id: str) -> Target | None:
        return next((t for t in self.models if t.id == target_id), None)

    def deployment(self, target_id: str) -> Target | None:
        return next((t for t in self.deployments if t.id == target_id), None)


def targets() -> Targets:
    """From the status document the poller published (what the status page shows)."""
    doc = snapshot.document() or {}
    models: dict[str, str] = {}
    deployments = []
    for d in doc.get("deployments", []):
        if d["model_id"]:
            models.setdefault(d["model_id"], d.get("model_name") or d["model_id"])
        deployments.append(Target(d["id"], d["name"], d.get("model_name") or d["model_id"] or ""))
    return Targets(
        models=sorted(
            (Target(i, n) for i, n in models.items()), key=lambda t: (t.name.lower(), t.id)
        ),
        deployments=sorted(deployments, key=lambda t: (t.name.lower(), t.detail.lower(), t.id)),
    )


@dataclass
class SubscriptionForm:
    """What the create form sent, and what is wrong with it (field name first)."""

    label: str = ""
    format: str = StatusSubscription.SLACK
    url: str = ""
    scope: str = StatusSubscription.ALL
    model: str = ""
    deployment: str = ""
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_post(cls, post) -> SubscriptionForm:
        return cls(
            label=post.get("label", "").strip(),
            format=post.get("format", ""),
            url=post.get("url", "").strip(),
            scope=post.get("scope", ""),
            model=post.get("model", ""),
            deployment=post.get("deployment", ""),
        )


_URL = URLValidator(schemes=["https", "http"])


def _check(form: SubscriptionForm, known: Targets) -> Target | None:
    """Fill `form.errors`; the target chosen (None for everything)."""
    errors = form.errors
    if problem := control_problem(form.label):
        errors.append(f"label: {problem}")
    elif not form.label:
        errors.append("label: give the subscription a label (who or what receives it).")
    elif len(form.label) > LABEL_MAX:
        errors.append(f"label: at most {LABEL_MAX} characters.")
    if form.format not in dict(StatusSubscription.FORMAT_CHOICES):
        errors.append("format: choose Slack-compatible or JSON.")
    if problem := control_problem(form.url):
        errors.append(f"url: {problem}")
    elif not form.url:
        errors.append("url: give the webhook's URL.")
    elif len(form.url) > StatusSubscription.URL_MAX:
        errors.append(f"url: at most {StatusSubscription.URL_MAX} characters.")
    else:
        try:
            _URL(form.url)
            problem = webhooks.url_problem(form.url)
        except ValidationError:
            problem = "not a valid URL"
        if problem:
            errors.append(f"url: {problem}.")
    target = None
    if form.scope == StatusSubscription.MODEL:
        target = known.model(form.model)
        if target is None:
            errors.append("model: choose one of the models on the status page.")
    elif form.scope == StatusSubscription.DEPLOYMENT:
        target = known.deployment(form.deployment)
        if target is None:
            errors.append("deployment: choose one of the deployments on the status page.")
    elif form.scope != StatusSubscription.ALL:
        errors.append("scope: choose every deployment, a model or a deployment.")
    return target


def subscription_create(*, form: SubscriptionForm, user: Any) -> StatusSubscription | None:
    """Create the subscription the form describes, on the activity record; None (and
    nothing written) when `form.errors` says what is wrong."""
    target = _check(form, targets())
    if form.errors:
        return None
    with transaction.atomic():
        subscription = StatusSubscription.objects.create(
            label=form.label,
            format=form.format,
            url=form.url,
            scope=form.scope,
            target_id=target.id if target else "",
            target_name=name_kept(target.name if target else "", NAME_MAX),
            created_by=user.get_username(),
            created_at=timezone.now(),
        )
        of_model = subscription.scope == StatusSubscription.MODEL
        activity_record(
            user=user,
            action=Activity.CREATED,
            kind=ACTIVITY_KIND,
            object_id=subscription.pk,
            object_name=subscription.label,
            model_id=subscription.target_id if of_model else "",
            model_name=subscription.target_name if of_model else "",
            changes=_facts(subscription),
        )
    return subscription


def subscription_disable(*, subscription: StatusSubscription, user: Any) -> bool:
    """Disable it for good (its queued deliveries are given up); False when it already was."""
    with transaction.atomic():
        now = timezone.now()
        changed = StatusSubscription.objects.filter(
            pk=subscription.pk, disabled_at__isnull=True
        ).update(disabled_at=now)
        if not changed:
            return False
        subscription.disabled_at = now
        activity_record(
            user=user,
            action=Activity.REVOKED,
            kind=ACTIVITY_KIND,
            object_id=subscription.pk,
            object_name=subscription.label,
            details=_facts(subscription),
        )
    return True


def _facts(subscription: StatusSubscription) -> dict[str, Any]:
    # For the record: the host only, never the URL (a credential).
    return {
        "format": subscription.format,
        "host": host(subscription),
        "scope": subscription.scope,
        "target_id": subscription.target_id,
        "target_name": subscription.target_name,
    }


def host(subscription: StatusSubscription) -> str:
    return webhooks.Subscription(subscription.key, subscription.url, 0).host


# --- the delivery log -----------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    state: str  # "delivered", "failing", "queued", "sending", "given up"
    created_at: datetime
    attempts: int
    sent_at: datetime | None
    last_error: str
    next_attempt_at: datetime | None
    event: str  # the announcement's type (JSON), else the start of its text (Slack)


def _delivery(row) -> Delivery:
    from webui.reviews.models import OutboxMessage

    retry_at = None
    if row.state == OutboxMessage.SENT:
        state = "delivered"
    elif row.state == OutboxMessage.FAILED:
        state = "given up"
    elif row.attempts == 0:
        state = "queued"
    elif row.last_error:
        # Failed before and due again at next_attempt_at (or being retried now).
        state, retry_at = "failing", row.next_attempt_at
    else:
        state = "sending"
    payload = row.payload if isinstance(row.payload, dict) else {}
    event = (
        payload.get("event", {}).get("type", "") if isinstance(payload.get("event"), dict) else ""
    )
    # A Slack body carries no event type: its text says what it was.
    text = payload.get("text") if isinstance(payload.get("text"), str) else ""
    event = event or (text[:SUMMARY_MAX] + ("…" if len(text) > SUMMARY_MAX else ""))
    return Delivery(
        delivery_id=row.delivery_id,
        state=state,
        created_at=row.created_at,
        attempts=row.attempts,
        sent_at=row.sent_at,
        last_error=row.last_error,
        next_attempt_at=retry_at,
        event=event,
    )


@dataclass(frozen=True)
class SubscriptionRow:
    """One subscription as the page shows it: never its URL, only the host."""

    subscription: StatusSubscription
    host: str
    feed_url: str
    last: Delivery | None
    recent: list[Delivery]


def delivery_log(subscription: StatusSubscription) -> list[Delivery]:
    """Its latest deliveries, newest first (the outbox rows of its key)."""
    from webui.reviews.models import OutboxMessage

    rows = OutboxMessage.objects.filter(subscription=subscription.key).order_by(
        "-created_at", "-id"
    )
    return [_delivery(row) for row in rows[:RECENT_DELIVERIES]]


def subscription_rows(request) -> list[SubscriptionRow]:
    rows = []
    for subscription in StatusSubscription.objects.all()[:SHOWN]:
        recent = delivery_log(subscription)
        rows.append(
            SubscriptionRow(
                subscription=subscription,
                host=host(subscription),
                feed_url=request.build_absolute_uri(
                    feed_url(subscription.scope, subscription.target_id)
                ),
                last=recent[0] if recent else None,
                recent=recent,
            )
        )
    return rows


# --- the feed, filtered the same way --------------------------------------------------


def feed_url(scope: str, target_id: str = "", *, share_token: str | None = None) -> str:
    """The Atom feed's path for one subscription scope (a share link's when given)."""
    path = (
        reverse("status_feed_shared", args=[share_token]) if share_token else reverse("status_feed")
    )
    if scope in FEED_PARAMS and target_id:
        return f"{path}?{urlencode({scope: target_id})}"
    return path


@dataclass(frozen=True)
class FeedFilter:
    scope: str = StatusSubscription.ALL
    target_id: str = ""

    @property
    def title_suffix(self) -> str:
        # XML 1.0 has no control characters; an upstream id may.
        return (
            f" ({self.scope} {_NOT_XML.sub(chr(0xFFFD), self.target_id)})" if self.target_id else ""
        )

    def keeps(self, incident: dict[str, Any]) -> bool:
        if self.scope == StatusSubscription.MODEL:
            return incident.get("model_id") == self.target_id
        if self.scope == StatusSubscription.DEPLOYMENT:
            return incident.get("deployment_id") == self.target_id
        return True


def feed_filter(query) -> FeedFilter | str:
    """The feed's `?model=<id>` or `?deployment=<id>`, or what is wrong with them (a
    sentence naming the parameter). An id Pond does not know gives an empty feed, not an
    error: a feed reader keeps its URL after the deployment is gone, and one that is yet
    to fail has no entries either."""
    given = [name for name in FEED_PARAMS if name in query]
    if len(given) > 1:
        return f"{given[1]}: give {given[0]} or {given[1]}, not both."
    if not given:
        return FeedFilter()
    name = given[0]
    values = query.getlist(name)
    if len(values) != 1:
        return f"{name}: give it once."
    if not values[0]:
        return f"{name}: give the {name}'s id."
    if len(values[0]) > ID_MAX:
        return f"{name}: at most {ID_MAX} characters."
    return FeedFilter(name, values[0])
