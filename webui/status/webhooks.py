"""Pond's one webhook sender, and the Slack-compatible ({"text": ...}) notifications of
confirmed deployment status changes.

Review decisions go out through the same sender (webui/reviews/webhooks.py builds
their payload). A webhook URL is a credential: Slack keeps its secret in the path.
So:

- the URL never leaves settings (or, for the subscriptions people make on the
  subscriptions page, the database): `enqueue` hands Celery a subscription key
  ("status:<digest of the URL>", "sub:<pk>"), and the task
  (`webui.status.tasks.webhook_send`) looks the URL up among the configured ones and
  the active subscriptions; it cannot be told to post anywhere else;
- logs and error messages name the subscription and the host, never the path or query;
- redirects are never followed (a 307 would re-POST the body elsewhere): a redirect
  is a failed delivery, as is any other 4xx but 429; 5xx, 429 and transport errors
  are retried by the task;
- `payload["text"]` is plain text and is escaped here the way Slack asks (& < >), so a
  deployment name or a comment cannot ping `<!channel>` or make a link.

Status announcements (`status_announce`) go to every POND_STATUS_WEBHOOKS URL and to
each active subscription whose scope (everything, a model, a deployment) they concern:
Slack-format ones get {"text": ...}, JSON ones Pond's event document (`json_body`).

Every delivery has an id, sent as X-Pond-Delivery and repeated by its retries, so a
receiver can drop duplicates.

Deliveries go through an outbox (`webui.reviews.models.OutboxMessage`): `enqueue`
writes one row per webhook in the transaction of the event it announces, and once
that commits hands each to a Celery worker at once; `outbox_send_due`, on beat, sends
whatever a crash, a broker outage or a failing receiver left behind. A sender takes
a row with a lease (twice the webhook's timeout and a second) before posting it, so
two senders do not post one row at the same time, and one that dies mid-send is
replaced once its lease ends. So a message is delayed, never lost: at least once,
every copy under one delivery id.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

if TYPE_CHECKING:  # the poller announces through this module
    from webui.status.poller import ConfirmedChange

log = logging.getLogger("pond.status.webhooks")

DELIVERY_HEADER = "X-Pond-Delivery"
USER_AGENT = f"Pond/0.1 (webhooks) python-requests/{requests.__version__}"
# Kinds of subscription: the setting that lists their URLs, and their timeout setting.
KINDS = {
    "status": ("POND_STATUS_WEBHOOKS", "POND_STATUS_WEBHOOK_TIMEOUT"),
    "review": ("POND_REVIEW_WEBHOOKS", "POND_REVIEW_WEBHOOK_TIMEOUT"),
}
RETRY_STATUSES = frozenset({429})  # and every 5xx
# Keys of the subscriptions people make on the subscriptions page: "sub:<pk>"
# (webui.status.models.StatusSubscription); their URL stays in the database.
SUBSCRIPTION_KIND = "sub"
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# The version of the JSON subscriptions' body (see `json_body`); bumped on an
# incompatible change, never on an added key.
JSON_BODY_VERSION = 1


class WebhookError(Exception):
    """A delivery that did not succeed. Messages never contain the URL's path or query."""


class WebhookFailed(WebhookError):
    """Worth retrying: the receiver was unreachable, too slow, or answered 5xx or 429."""


class WebhookRejected(WebhookError):
    """Not worth retrying: a redirect, a 4xx, or a subscription that is not configured."""


@dataclass(frozen=True)
class Subscription:
    key: str
    url: str
    timeout: float
    # What the body is: "slack" ({"text": ...}, escaped here) or "json" (Pond's event
    # document, JSON_BODY_VERSION, sent as written: its text is plain).
    format: str = "slack"

    @property
    def host(self) -> str:
        """What logs may show of the URL: host and port, no credentials, path or query."""
        parts = urlsplit(self.url)
        host = parts.hostname or "?"
        if ":" in host:
            host = f"[{host}]"
        return f"{host}:{parts.port}" if parts.port else host

    def __repr__(self) -> str:  # a stray repr in a log or traceback shows no secret either
        return f"Subscription({self.key!r}, host={self.host!r})"


def _key(kind: str, url: str) -> str:
    # A digest, not a list index: reordering the setting never sends to the wrong URL,
    # and a URL removed from it is not posted to by deliveries still queued.
    return f"{kind}:{hashlib.sha256(url.encode()).hexdigest()[:16]}"


def subscriptions(kind: str) -> list[Subscription]:
    """The configured webhooks of one kind ("status" or "review")."""
    urls_setting, timeout_setting = KINDS[kind]
    timeout = float(getattr(settings, timeout_setting))
    return [Subscription(_key(kind, url), url, timeout) for url in getattr(settings, urls_setting) or []]


def subscription_get(key: str) -> Subscription:
    kind, _, rest = str(key).partition(":")
    if kind == SUBSCRIPTION_KIND:
        return _stored_subscription(rest)
    for subscription in subscriptions(kind) if kind in KINDS else []:
        if subscription.key == key:
            return subscription
    raise WebhookRejected(f"No webhook subscription {str(key)[:40]!r} is configured (any more); not sent.")


def _stored_subscription(pk: str) -> Subscription:
    """A subscription made on the subscriptions page ("sub:<pk>"), while it is active.

    Read at every attempt: a disabled subscription's queued deliveries are given up,
    not posted. Its URL is checked again (http only where `url_problem` allows it)."""
    from webui.status.models import StatusSubscription

    row = StatusSubscription.objects.filter(pk=int(pk)).first() if pk.isdigit() and len(pk) < 19 else None
    if row is None or row.disabled_at is not None:
        state = "disabled" if row is not None else "not found"
        raise WebhookRejected(f"Subscription {SUBSCRIPTION_KIND}:{pk[:20]} is {state}; not sent.")
    subscription = Subscription(row.key, row.url, float(settings.POND_STATUS_WEBHOOK_TIMEOUT), row.format)
    problem = url_problem(row.url)
    if problem:
        raise WebhookRejected(f"Subscription {row.key} ({subscription.host}): {problem}; not sent.")
    return subscription


def url_problem(url: str) -> str:
    """Why a subscription may not post to `url` ("" when it may): https anywhere;
    plain http only to this machine (localhost, 127.0.0.1, ::1) and only with DEBUG on,
    for trying a receiver out. (The settings' webhooks are the operator's own and may
    be anything http(s).) The answer never quotes the URL: it is a credential."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return "not a valid URL"
    if not parts.hostname:
        return "the URL has no host"
    if parts.scheme == "https":
        return ""
    if parts.scheme == "http":
        if parts.hostname in LOOPBACK_HOSTS and settings.DEBUG:
            return ""
        return "plain http is allowed only to localhost, and only when DEBUG is on: use https"
    return "only https URLs are allowed"


def slack_escape(text: str) -> str:
    """Slack's own escaping for message text: only &, < and > (in that order)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def enqueue(*, kind: str, payload: dict[str, Any]) -> list[str]:
    """Write `payload` to the outbox for every webhook of `kind`, in the current
    transaction, and hand each to a Celery worker once it commits; returns the
    delivery ids. A broker outage delays the message (beat's `outbox_send_due`
    sends it), never loses it; outside a transaction the rows commit at once."""
    now = timezone.now()
    return _queue([_outbox_row(subscription.key, payload, uuid.uuid4().hex, now) for subscription in subscriptions(kind)])


def _outbox_row(key: str, payload: dict[str, Any], delivery_id: str, now):
    from webui.reviews.models import OutboxMessage

    return OutboxMessage(subscription=key, payload=payload, delivery_id=delivery_id, created_at=now, next_attempt_at=now)


def _queue(rows: list) -> list[str]:
    """Write outbox rows in the current transaction; each goes to a worker once it commits."""
    from webui.reviews.models import OutboxMessage

    if not rows:
        return []
    OutboxMessage.objects.bulk_create(rows)
    for row in rows:
        # A separate task per webhook: a slow or failing one never holds up another,
        # nor the poll or the page that caused it. `robust`: a broker outage is logged
        # and the beat sweep sends the row instead.
        transaction.on_commit(partial(_hand_over, row.subscription, row.payload, row.delivery_id), robust=True)
    return [row.delivery_id for row in rows]


def _hand_over(subscription: str, payload: dict[str, Any], delivery_id: str) -> None:
    from webui.status.tasks import webhook_send  # the task module imports this one

    # No publish retries: with the broker down this fails at once (the sweep sends the
    # row later) instead of holding up the page or the poll that made the event.
    webhook_send.apply_async(
        kwargs={"subscription": subscription, "payload": payload, "delivery_id": delivery_id, "outbox": True},
        retry=False,
    )


def deliver(*, subscription: str, payload: dict[str, Any], delivery_id: str) -> int:
    """POST `payload` to the configured webhook `subscription`; returns the status code.

    Raises WebhookFailed (retry) or WebhookRejected (do not). One log line per attempt.
    """
    target = subscription_get(subscription)
    body = dict(payload)
    if target.format == "slack" and isinstance(body.get("text"), str):
        body["text"] = slack_escape(body["text"])
    where = f"{target.key} ({target.host})"
    started = time.monotonic()
    try:
        response = requests.post(
            target.url,
            json=body,
            headers={DELIVERY_HEADER: delivery_id, "User-Agent": USER_AGENT},
            timeout=target.timeout,
            allow_redirects=False,
            stream=True,  # only the status matters: the body is never read
        )
    except requests.RequestException as exc:
        log.warning(
            "webhook %s delivery=%s failed: %s after %.0f ms",
            where, delivery_id, exc.__class__.__name__, (time.monotonic() - started) * 1000,
        )  # fmt: skip
        # `from None`: requests' own message (and so a chained traceback) holds the full URL.
        raise WebhookFailed(f"webhook {where}: {exc.__class__.__name__}") from None
    status = response.status_code
    response.close()
    elapsed_ms = (time.monotonic() - started) * 1000
    if 200 <= status < 300:
        log.info("webhook %s delivery=%s answered %s in %.0f ms", where, delivery_id, status, elapsed_ms)
        return status
    log.warning("webhook %s delivery=%s answered %s in %.0f ms", where, delivery_id, status, elapsed_ms)
    if status >= 500 or status in RETRY_STATUSES:
        raise WebhookFailed(f"webhook {where} answered {status}")
    if 300 <= status < 400:
        raise WebhookRejected(f"webhook {where} answered a redirect ({status}); redirects are not followed")
    raise WebhookRejected(f"webhook {where} answered {status}")


# --- the outbox ---------------------------------------------------------------------------


def _lease(subscription: str) -> timedelta:
    """How long a sender holds a row: a send takes at most about two timeouts (connect,
    then the answer). A sender slower than this may be joined by a second: a duplicate
    under the same delivery id, which receivers drop."""
    kind = str(subscription).partition(":")[0]
    kind = "status" if kind == SUBSCRIPTION_KIND else kind
    timeout = float(getattr(settings, KINDS[kind][1])) if kind in KINDS else 5.0
    return timedelta(seconds=2 * timeout + 1)


def _backoff(attempts: int) -> timedelta:
    """Wait before the next try of a row that failed `attempts` times: 2, 4, 8 s ... up to
    POND_WEBHOOK_BACKOFF_MAX. Longer than Celery's own quick retries, so that the sweep
    takes over only from a task that gave up or died."""
    return timedelta(seconds=min(2.0 ** max(attempts, 1), float(settings.POND_WEBHOOK_BACKOFF_MAX)))


def _take(*, owner: str, pk: int | None = None, own_retry: bool = False, now=None):
    """Lease one due outbox row (the one with `pk`, else the oldest due) to `owner`;
    None when there is none to take. With `own_retry` (a Celery task's own retry, same
    task id) a row `owner` holds may be taken again before it is due."""
    from webui.reviews.models import OutboxMessage

    now = now or timezone.now()
    due = (Q(next_attempt_at__lte=now) | Q(leased_by=owner)) if own_retry else Q(next_attempt_at__lte=now)
    with transaction.atomic():
        rows = OutboxMessage.objects.filter(due, state=OutboxMessage.PENDING)
        if pk is not None:
            rows = rows.filter(pk=pk)
        # Rows another sender holds are skipped, not waited for (PostgreSQL); SQLite's
        # IMMEDIATE transactions serialise the whole block instead. The conditional
        # update below makes a lost race harmless on any database.
        row = rows.select_for_update(skip_locked=True).order_by("next_attempt_at", "id").first()
        if row is None:
            return None
        won = OutboxMessage.objects.filter(
            due, pk=row.pk, state=OutboxMessage.PENDING, attempts=row.attempts
        ).update(attempts=row.attempts + 1, leased_by=owner, next_attempt_at=now + _lease(row.subscription))
        if not won:
            return None
    row.attempts += 1
    row.leased_by = owner
    return row


def _attempt(row) -> int:
    """Post a leased row once and record how it went; raises as `deliver` does."""
    from webui.reviews.models import OutboxMessage

    rows = OutboxMessage.objects.filter(pk=row.pk, leased_by=row.leased_by)
    try:
        status = deliver(subscription=row.subscription, payload=row.payload, delivery_id=row.delivery_id)
    except WebhookRejected as exc:
        rows.update(state=OutboxMessage.FAILED, last_error=str(exc)[:500])
        raise
    except WebhookFailed as exc:
        gave_up = row.attempts >= settings.POND_WEBHOOK_ATTEMPTS
        rows.update(
            state=OutboxMessage.FAILED if gave_up else OutboxMessage.PENDING,
            last_error=str(exc)[:500],
            next_attempt_at=timezone.now() + _backoff(row.attempts),
        )
        if gave_up:
            log.warning("webhook %s delivery=%s: giving up after %d attempts", row.subscription, row.delivery_id, row.attempts)
        raise
    rows.update(state=OutboxMessage.SENT, sent_at=timezone.now(), last_error="")
    return status


def send(*, subscription: str, payload: dict[str, Any], delivery_id: str, owner: str, outbox: bool) -> int | None:
    """One attempt at a delivery, for the Celery task that `enqueue` queued.

    With `outbox`, the row is leased first: None (nothing posted) when it is already
    sent, given up, or being sent by someone else. Without (a message queued before
    the outbox, or a direct call), it is posted as given.
    """
    if not outbox:
        return deliver(subscription=subscription, payload=payload, delivery_id=delivery_id)
    from webui.reviews.models import OutboxMessage

    pk = OutboxMessage.objects.filter(delivery_id=delivery_id).values_list("pk", flat=True).first()
    row = _take(owner=owner, pk=pk, own_retry=True) if pk is not None else None
    if row is None:
        log.info("webhook %s delivery=%s: already sent or being sent; nothing to do", subscription, delivery_id)
        return None
    return _attempt(row)


def outbox_send_due(*, limit: int = 100) -> int:
    """Send due outbox rows (beat), one lease at a time; returns how many were sent.

    Rows whose sender died, whose broker message was lost, or whose receiver failed
    and is due again. Sent and given-up rows older than POND_WEBHOOK_KEEP_DAYS go.
    """
    from webui.reviews.models import OutboxMessage

    owner = f"sweep-{uuid.uuid4().hex[:12]}"
    sent = 0
    for _ in range(limit):
        row = _take(owner=owner)
        if row is None:
            break
        try:
            _attempt(row)
        except WebhookError:
            continue  # recorded on the row, tried again when due
        sent += 1
    cutoff = timezone.now() - timedelta(days=settings.POND_WEBHOOK_KEEP_DAYS)
    OutboxMessage.objects.filter(
        state__in=(OutboxMessage.SENT, OutboxMessage.FAILED), created_at__lt=cutoff
    ).delete()
    return sent


# --- status change notifications --------------------------------------------------------


def worth_notifying(change: ConfirmedChange) -> bool:
    # A deployment's very first confirmed status is news only if it is a problem.
    return bool(change.from_status) or change.to_status in settings.POND_STATUS_INCIDENT_STATUSES


def message(change: ConfirmedChange) -> str:
    """Plain text (the sender escapes it for Slack), naming the deployment, model and
    version as people know them (the catalog's names; ids only where it has none):
    "Deployment fraud-api of fraud-detector 3.1.0 is now failed (was active), since ..."."""
    name = change.name or change.deployment_id
    of = " ".join(part for part in (change.model_name or change.model_id, change.version_label or change.version_id) if part)
    was = f" (was {change.from_status})" if change.from_status else ""
    when = change.since.strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"Deployment {name}{f' of {of}' if of else ''} is now {change.to_status}{was}, since {when}."


def change_announce(change: ConfirmedChange) -> list[str]:
    """Queue the notification of a confirmed change for every status webhook."""
    if not worth_notifying(change):
        return []
    return status_announce(
        text=message(change),
        event={"type": "status_change", **change_event(change)},
        model_id=change.model_id,
        deployment_id=change.deployment_id,
    )


def change_event(change: ConfirmedChange) -> dict[str, Any]:
    return {
        "deployment_id": change.deployment_id,
        "deployment_name": change.name or change.deployment_id,
        "model_id": change.model_id,
        "model_name": change.model_name or change.model_id,
        "version_id": change.version_id,
        "version_label": change.version_label or change.version_id,
        "from_status": change.from_status or None,
        "to_status": change.to_status,
        "since": change.since.isoformat(),
    }


# --- status announcements: changes, incident updates, maintenance --------------------------


def status_announce(*, text: str, event: dict[str, Any], model_id: str = "", deployment_id: str = "") -> list[str]:
    """Queue one status announcement for everyone who hears about it; returns the delivery ids.

    `text` is the plain-text line (escaped for Slack by the sender); `event` is the
    JSON document (`{"type": "status_change" | "incident_update" | "incident_acknowledged"
    | "maintenance_start" | "maintenance_end", ...}`) that JSON subscriptions receive
    (see `json_body`). `model_id` and `deployment_id` say whom it concerns, for the
    subscriptions scoped to a model or a deployment (`subscribers`). The
    POND_STATUS_WEBHOOKS of the settings hear everything, as text.

    Call it inside the transaction that records what it announces: one outbox row per
    webhook is written in it.
    """
    from webui.status.models import StatusSubscription

    now = timezone.now()
    # As the outbox stores it: a datetime in an announcer's event becomes its ISO text
    # here, rather than failing the transaction that records what it announces.
    event = json.loads(json.dumps(event, cls=DjangoJSONEncoder))
    text_payload = {"text": text}
    rows = [_outbox_row(hook.key, text_payload, uuid.uuid4().hex, now) for hook in subscriptions("status")]
    for subscription in subscribers(model_id=model_id, deployment_id=deployment_id):
        delivery_id = uuid.uuid4().hex
        if subscription.format == StatusSubscription.JSON:
            payload = json_body(
                text=text,
                event=event,
                subscription=subscription,
                delivery_id=delivery_id,
                at=now,
                model_id=model_id,
                deployment_id=deployment_id,
            )
        else:
            payload = text_payload
        rows.append(_outbox_row(subscription.key, payload, delivery_id, now))
    return _queue(rows)


def subscribers(*, model_id: str = "", deployment_id: str = ""):
    """The active subscriptions that hear an announcement about `deployment_id` (of
    `model_id`), or about the whole of `model_id` (no `deployment_id`): those to
    everything; those to the model; those to the deployment. An announcement about a
    whole model (a model's maintenance) reaches the subscriptions to each deployment
    of it the poller knows, since it concerns them too."""
    from webui.status.models import DeploymentState, StatusSubscription

    match = Q(scope=StatusSubscription.ALL)
    if model_id:
        match |= Q(scope=StatusSubscription.MODEL, target_id=model_id)
    if deployment_id:
        match |= Q(scope=StatusSubscription.DEPLOYMENT, target_id=deployment_id)
    elif model_id:
        of_model = DeploymentState.objects.filter(model_id=model_id).values("deployment_id")
        match |= Q(scope=StatusSubscription.DEPLOYMENT, target_id__in=of_model)
    return list(StatusSubscription.objects.filter(match, disabled_at__isnull=True).order_by("pk"))


def json_body(*, text, event, subscription, delivery_id, at, model_id="", deployment_id="") -> dict[str, Any]:
    """The body a JSON subscription receives (version JSON_BODY_VERSION):

        {"pond": 1,
         "event": {"type": "status_change", ...},      # as the announcer wrote it
         "text": "Deployment fraud-prod (d-1) ...",   # the plain line (NOT Slack-escaped)
         "about": {"model_id": "m-1" | null, "deployment_id": "d-1" | null},
         "subscription": {"id": 3, "label": "...", "scope": "all" | "model" | "deployment",
                          "target_id": "m-1" | null},
         "delivery": {"id": "<hex>", "created_at": "2026-12-05T16:00:00+00:00"}}

    The same body goes out on every retry; `delivery.id` is also the X-Pond-Delivery
    header, for dropping duplicates. Keys may be added; "pond" changes when one is
    removed or changes meaning."""
    return {
        "pond": JSON_BODY_VERSION,
        "event": event,
        "text": text,
        "about": {"model_id": model_id or None, "deployment_id": deployment_id or None},
        "subscription": {
            "id": subscription.pk,
            "label": subscription.label,
            "scope": subscription.scope,
            "target_id": subscription.target_id or None,
        },
        "delivery": {"id": delivery_id, "created_at": at.isoformat()},
    }
