"""Applying a decision: a recorded plan whose steps are applied at most once, and undone
when a later one fails, so that production is never left empty by Pond.

An approval (or a direct promotion) writes its plan in the decision's own transaction
(`decision_plan`): archive the current production version(s), move the candidate,
deploy it if asked. Then, under the model's lock, `decision_apply` takes the steps in
order. Each step:

- first asks JFrog ML whether its result is already there, so that a step retried after
  a crash is a no-op (on its first try in the reviewer's request, the decision's own
  fresh read of the model answers that, at no extra call);
- makes the change, and records its outcome on the step and in the ledger in one commit.

A step that fails after an archive is compensated: every archived version is restored
to production (`restore` steps, each in the ledger with its reason) and the decision
ends *failed, rolled back*. If a restore fails too, it ends *failed, left without
production* (and the restore is tried again while attempts remain). Where JFrog ML
gives no answer about a step (it timed out, and asking again fails too) the plan is
left as it is: `decisions_recover`, on Celery beat, takes up every plan that stood
still for POND_DECISION_RECOVERY_GRACE seconds and goes on by the same rules, so a
web worker killed mid-decision leaves it late, never half-done.

Each end state is announced once through the webhook outbox, in the transaction that
records it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from webui.jfrogml import services as upstream
from webui.jfrogml.errors import JFrogMLError, NotFound, OperationUnsupported
from webui.jfrogml.locks import lock
from webui.reviews.models import Decision, DecisionStep, LedgerEntry, ReviewRequest
from webui.reviews.outcome import UNDONE_ON_FAILURE, ApplyResult, conclude

log = logging.getLogger("pond.reviews.decisions")

STATUS_KINDS = (DecisionStep.ARCHIVE, DecisionStep.PROMOTE, DecisionStep.RESTORE)


# --- what a version is called ------------------------------------------------------------


def metrics_of(version: Any) -> dict[str, float]:
    """A version's metrics as the ledger records them. An upstream may send NaN or infinity
    (as "NaN", "Infinity" or 1e400): JSON has no such numbers, so the database refuses a
    record holding one (a request then failed as "already pending"). They are left out,
    as the comparison shows them: as no value."""
    metrics = getattr(version, "metrics", None) or {}
    return {
        name: value
        for name, value in metrics.items()
        if not (isinstance(value, float) and not math.isfinite(value))
    }


# Names are kept as they were, for the record, cut to their columns (255): an upstream
# name may be any length, and a request must not fail on PostgreSQL for a long one.
NAME_KEPT = 255


def label_of(version: Any) -> str:
    return str(getattr(version, "version", None) or version.id)[:NAME_KEPT]


def model_name_of(model: Any) -> str:
    return str(getattr(model, "name", None) or model.id)[:NAME_KEPT]


def _created_at(version: Any) -> str:
    created = getattr(version, "created_at", None)
    return created.isoformat() if created is not None and hasattr(created, "isoformat") else ""


# How long a second decision on a model waits for the first before it is refused.
LOCK_WAIT = 60.0


@contextmanager
def model_lock(model_id: str, *, blocking: bool) -> Iterator[bool]:
    """One decision of a model applies at a time, on any process. The lock is a lease
    of POND_PROMOTION_LOCK_SECONDS that a live holder keeps renewing, so one killed
    mid-decision frees it within that time (at once with the file locks of a single
    machine), while a blocking caller waits up to LOCK_WAIT for a slow one."""
    deadline = time.monotonic() + (LOCK_WAIT if blocking else 0.0)
    lease = settings.POND_PROMOTION_LOCK_SECONDS
    while True:
        with lock(f"promote:{model_id}", timeout=lease, blocking=blocking, renew=True) as acquired:
            if acquired or time.monotonic() >= deadline:
                yield acquired
                return


# --- the plan ---------------------------------------------------------------------------


def decision_plan(
    *,
    entry: LedgerEntry,
    situation: Any,
    to_status: str,
    archive_current: bool,
    deploy: bool,
    request: ReviewRequest | None,
) -> Decision:
    """Write the decision's steps down. Call inside the decision's transaction."""
    model, candidate = situation.model, situation.candidate
    decision = Decision.objects.create(
        entry=entry,
        request=request,
        actor=entry.actor,
        model_id=str(model.id),
        model_name=model_name_of(model),
        version_id=str(candidate.id),
        version_label=label_of(candidate),
        to_status=to_status,
    )
    planned: list[tuple[str, Any, str, str]] = []
    if to_status == "production" and archive_current:
        planned += [(DecisionStep.ARCHIVE, v, "production", "archived") for v in situation.production_versions]
    planned.append((DecisionStep.PROMOTE, candidate, situation.candidate_status.status, to_status))
    if deploy and to_status == "production":
        planned.append((DecisionStep.DEPLOY, candidate, "production", "production"))
    if to_status == "production":
        _supersede_restores(decision)
    DecisionStep.objects.bulk_create(
        DecisionStep(
            decision=decision,
            order=order,
            kind=kind,
            version_id=str(version.id),
            version_label=label_of(version),
            from_status=from_status,
            to_status=target,
            upstream_before=str(getattr(version, "status", "") or "")[:32],
            metrics=metrics_of(version),
            version_created_at=_created_at(version),
        )
        for order, (kind, version, from_status, target) in enumerate(planned, start=1)
    )
    return decision


def unfinished_decision(*, model_id: str) -> Decision | None:
    """An earlier decision on the model whose steps are not all settled yet: a new one
    waits for it (recovery finishes or undoes it), or its late steps would land on top."""
    return Decision.objects.filter(model_id=model_id, state=Decision.APPLYING).order_by("created_at").first()


def _supersede_restores(decision: Decision) -> None:
    """A new version going to production ends earlier decisions' attempts to restore
    theirs: a late restore would make two production versions."""
    waiting = DecisionStep.objects.filter(
        decision__model_id=decision.model_id, kind=DecisionStep.RESTORE, state=DecisionStep.PLANNED
    ).exclude(decision=decision)
    earlier = list(Decision.objects.filter(pk__in=waiting.values("decision")))
    waiting.update(
        state=DecisionStep.SKIPPED,
        last_error=f"not restored: {decision.version_label} is going to production instead",
        updated_at=timezone.now(),
    )
    for other in earlier:
        conclude(other)


# --- applying ---------------------------------------------------------------------------


class _NoAnswer(Exception):
    """JFrog ML could not tell whether a step took effect."""

    def __init__(self, error: JFrogMLError) -> None:
        self.error = error
        super().__init__(error.message)


def _definite(exc: JFrogMLError) -> bool:
    """A refusal that will not change by itself (4xx but 429): the step did not happen.
    Anything else (5xx, a timeout, garbage, an open breaker) leaves it unknown."""
    return exc.status is not None and 400 <= exc.status < 500 and exc.status != 429


def decision_apply(decision: Decision, *, known: dict[str, str] | None = None, recovering: bool = False) -> ApplyResult:
    """Take the decision's plan as far as it goes now; call under the model's lock.

    `known`: version id → JFrog ML's status as the decision just read it, which stands
    in for asking again on a step's first try.
    """
    known = known or {}
    while True:
        steps = list(decision.steps.order_by("order"))
        failed = next((s for s in steps if s.kind in UNDONE_ON_FAILURE and s.state == DecisionStep.FAILED), None)
        if failed is not None:
            _compensate(decision, recovering=recovering)
            break
        step = next((s for s in steps if s.kind in DecisionStep.FORWARD and s.state == DecisionStep.PLANNED), None)
        if step is None:
            break
        first = step.attempts == 0 and not recovering
        if not _run(decision, step, known=known.get(step.version_id) if first else None, recovering=recovering):
            break  # no answer: the plan stays as it is, for recovery
    return conclude(decision)


def _run(decision: Decision, step: DecisionStep, *, known: str | None, recovering: bool) -> bool:
    """One try at a step; False when JFrog ML gave no answer about it (left planned,
    unless that was its last try: then it counts as failed)."""
    _begin(decision, step)
    try:
        if step.kind == DecisionStep.DEPLOY:
            _deploy(decision, step, recovering=recovering)
        else:
            _set_status(decision, step, known=known, recovering=recovering)
    except _NoAnswer as no_answer:
        error = no_answer.error
        log.warning("decision %s step %s (%s %s): no answer from JFrog ML: %r",
                    decision.pk, step.order, step.kind, step.version_id, error)  # fmt: skip
        if step.attempts >= settings.POND_DECISION_STEP_ATTEMPTS:
            _settle(
                decision, step, state=DecisionStep.FAILED, outcome=LedgerEntry.FAILED, recovering=recovering,
                error=f"JFrog ML gave no answer about this step in {step.attempts} tries ({error.message})",
                error_type=type(error).__name__,
            )  # fmt: skip
            return True
        _note(decision, step, error=error.message)
        return False
    return True


def _begin(decision: Decision, step: DecisionStep) -> None:
    """Count the try before calling JFrog ML, so a crash mid-call leaves it on record."""
    now = timezone.now()
    step.attempts += 1
    with transaction.atomic():
        DecisionStep.objects.filter(pk=step.pk).update(attempts=step.attempts, updated_at=now)
        Decision.objects.filter(pk=decision.pk).update(updated_at=now)


def _note(decision: Decision, step: DecisionStep, *, error: str) -> None:
    now = timezone.now()
    step.last_error = error
    with transaction.atomic():
        DecisionStep.objects.filter(pk=step.pk).update(last_error=error, updated_at=now)
        Decision.objects.filter(pk=decision.pk).update(updated_at=now)


def _status_now(decision: Decision, step: DecisionStep) -> str:
    """JFrog ML's status of the step's version, read afresh. NotFound passes through;
    no answer raises _NoAnswer."""
    try:
        return str(upstream.version_read_fresh(model_id=decision.model_id, version_id=step.version_id).status or "")
    except NotFound:
        raise
    except JFrogMLError as exc:
        raise _NoAnswer(exc) from None


def _set_status(decision: Decision, step: DecisionStep, *, known: str | None, recovering: bool) -> None:
    settle = dict(recovering=recovering)
    try:
        current = known if known is not None else _status_now(decision, step)
    except NotFound as exc:
        return _failed(decision, step, exc, **settle)
    step.upstream_before = current[:32]
    if current == step.to_status:
        # Already so (a retried step, or a restore nobody needed): nothing to send.
        return _settle(decision, step, state=DecisionStep.DONE, outcome=LedgerEntry.UPSTREAM, already=True, **settle)
    try:
        upstream.version_set_status(model_id=decision.model_id, version_id=step.version_id, status=step.to_status)
    except OperationUnsupported as exc:
        return _settle(decision, step, state=DecisionStep.DONE, outcome=LedgerEntry.POND, upstream_said=exc.message, **settle)
    except JFrogMLError as exc:
        if _definite(exc):
            return _failed(decision, step, exc, **settle)
        # A 5xx or a timeout: it may have taken effect all the same. Ask.
        try:
            after = _status_now(decision, step)
        except NotFound as gone:
            return _failed(decision, step, gone, **settle)
        if after != step.to_status:
            if step.kind == DecisionStep.RESTORE:
                # Nothing else can give the model its production back: try again later
                # (while attempts remain) rather than give up on a passing 5xx.
                raise _NoAnswer(exc) from None
            return _failed(decision, step, exc, **settle)
    return _settle(decision, step, state=DecisionStep.DONE, outcome=LedgerEntry.UPSTREAM, **settle)


def _deployment_name(decision: Decision, step: DecisionStep) -> str:
    return f"{decision.model_name or decision.model_id}-{step.version_label or step.version_id}"[:120]


def _existing_deployment(decision: Decision, step: DecisionStep, name: str) -> str | None:
    try:
        deployments = upstream.deployments_read_fresh()
    except JFrogMLError as exc:
        raise _NoAnswer(exc) from None
    for deployment in deployments:
        if str(deployment.model_version_id or "") == step.version_id and (deployment.name or "") == name:
            return str(deployment.id)
    return None


def _deploy(decision: Decision, step: DecisionStep, *, recovering: bool) -> None:
    name = _deployment_name(decision, step)
    settle = dict(recovering=recovering, name=name)
    if step.attempts > 1 or recovering:
        # Creating a deployment is not idempotent: a retry first looks for the one an
        # earlier try may have made.
        found = _existing_deployment(decision, step, name)
        if found:
            return _settle(decision, step, state=DecisionStep.DONE, outcome=LedgerEntry.UPSTREAM,
                           already=True, deployment_id=found, **settle)  # fmt: skip
    try:
        deployment = upstream.deployment_create(name=name, model_id=decision.model_id, model_version_id=step.version_id)
    except JFrogMLError as exc:
        if not _definite(exc):
            found = _existing_deployment(decision, step, name)
            if found:
                return _settle(decision, step, state=DecisionStep.DONE, outcome=LedgerEntry.UPSTREAM,
                               deployment_id=found, **settle)  # fmt: skip
        return _failed(decision, step, exc, **settle)
    deployment_id = str(getattr(deployment, "id", "") or "")
    return _settle(decision, step, state=DecisionStep.DONE, outcome=LedgerEntry.UPSTREAM,
                   deployment_id=deployment_id, **settle)  # fmt: skip


def _failed(decision: Decision, step: DecisionStep, exc: JFrogMLError, **details: Any) -> None:
    log.warning("decision %s step %s (%s %s → %s) failed: %r",
                decision.pk, step.order, step.kind, step.version_id, step.to_status, exc)  # fmt: skip
    _settle(
        decision, step, state=DecisionStep.FAILED, outcome=LedgerEntry.FAILED,
        error=exc.message, error_type=type(exc).__name__, **details,
    )  # fmt: skip


def _settle(
    decision: Decision,
    step: DecisionStep,
    *,
    state: str,
    outcome: str,
    recovering: bool = False,
    comment: str = "",
    **extra: Any,
) -> None:
    """Record a step's outcome: the step and its ledger entry in one commit."""
    now = timezone.now()
    details: dict[str, Any] = {"step": step.kind, "decision": decision.pk}
    if step.kind != DecisionStep.DEPLOY:
        details["upstream_before"] = step.upstream_before
    if step.version_created_at:
        # Lets `production_on` tell "already production" from "did not exist yet".
        details["version_created_at"] = step.version_created_at
    if recovering:
        details["recovered"] = True
    if step.kind == DecisionStep.RESTORE:
        details["compensation"] = True
        comment = comment or f"Compensation: {_restore_reason(decision)}."
    details.update({k: v for k, v in extra.items() if v not in (None, "", False)})
    with transaction.atomic():
        entry = LedgerEntry.objects.create(
            kind=LedgerEntry.DEPLOY if step.kind == DecisionStep.DEPLOY else LedgerEntry.APPLY,
            actor=decision.actor,
            model_id=decision.model_id,
            model_name=decision.model_name,
            version_id=step.version_id,
            version_label=step.version_label,
            from_status=step.from_status,
            to_status=step.to_status,
            comment=comment,
            outcome=outcome,
            metrics=step.metrics,
            details=details,
            request_id=decision.request_id,
        )
        step.state, step.entry = state, entry
        step.last_error = str(extra.get("error") or "")
        DecisionStep.objects.filter(pk=step.pk).update(
            state=state, entry=entry, last_error=step.last_error, upstream_before=step.upstream_before, updated_at=now
        )
        if step.kind == DecisionStep.RESTORE and state == DecisionStep.DONE and step.compensates_id:
            DecisionStep.objects.filter(pk=step.compensates_id).update(state=DecisionStep.COMPENSATED, updated_at=now)
        Decision.objects.filter(pk=decision.pk).update(updated_at=now)


# --- undoing --------------------------------------------------------------------------


def _restore_reason(decision: Decision) -> str:
    failed = decision.steps.filter(kind__in=UNDONE_ON_FAILURE, state=DecisionStep.FAILED).order_by("order").first()
    if failed is None:
        return "back to production"
    return (
        f"back to production, because {failed.version_label or failed.version_id} could not be set to "
        f"{failed.to_status} ({failed.last_error or 'failed'})"
    )


def _compensate(decision: Decision, *, recovering: bool) -> None:
    """Put every version this decision archived back into production (once each)."""
    with transaction.atomic():
        now = timezone.now()
        # Steps after the failure never run.
        decision.steps.filter(kind__in=DecisionStep.FORWARD, state=DecisionStep.PLANNED).update(
            state=DecisionStep.SKIPPED, updated_at=now
        )
        archived = decision.steps.filter(kind=DecisionStep.ARCHIVE, state=DecisionStep.DONE, compensated_by__isnull=True)
        order = (decision.steps.order_by("-order").values_list("order", flat=True).first() or 0) + 1
        for archive in archived.order_by("-order"):
            DecisionStep.objects.create(
                decision=decision,
                order=order,
                kind=DecisionStep.RESTORE,
                version_id=archive.version_id,
                version_label=archive.version_label,
                from_status=archive.to_status,
                to_status=archive.from_status,
                upstream_before=archive.to_status,
                metrics=archive.metrics,
                version_created_at=archive.version_created_at,
                compensates=archive,
            )
            order += 1
    for restore in decision.steps.filter(kind=DecisionStep.RESTORE, state=DecisionStep.PLANNED).order_by("order"):
        _run(decision, restore, known=None, recovering=recovering)


# --- recovery ---------------------------------------------------------------------------


def decisions_due(*, now=None) -> list[Decision]:
    """Plans left unfinished for longer than the grace period: steps still planned, or
    every step settled but the outcome not recorded (a crash in between)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.POND_DECISION_RECOVERY_GRACE)
    planned = DecisionStep.objects.filter(state=DecisionStep.PLANNED).values("decision")
    return list(
        Decision.objects.filter(updated_at__lte=cutoff)
        .filter(Q(pk__in=planned) | Q(state=Decision.APPLYING))
        .select_related("entry")
        .order_by("updated_at", "id")[:50]
    )


def decisions_recover(*, now=None) -> int:
    """Finish, or undo, every decision left unfinished (Celery beat). A decision whose
    model lock is held is being applied right now, and is left alone."""
    recovered = 0
    for decision in decisions_due(now=now):
        with model_lock(decision.model_id, blocking=False) as acquired:
            if not acquired:
                continue
            decision.refresh_from_db()
            log.info("recovering decision %s (%s %s → %s, %s)", decision.pk, decision.model_id,
                     decision.version_id, decision.to_status, decision.state)  # fmt: skip
            result = decision_apply(decision, recovering=True)
            log.info("decision %s is now %s: %s", decision.pk, result.state, result.message)
            recovered += 1
    return recovered
