"""Promotion workflow writes: request, decide, withdraw, promote directly, apply.

Every step is written to the append-only ledger as it happens (each in its own
commit, never one transaction across an upstream call), so a failure part way
leaves a record that says exactly which steps took effect.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from webui.jfrogml import services as upstream
from webui.jfrogml.client import get_client
from webui.jfrogml.errors import JFrogMLError, NotFound, OperationUnsupported
from webui.jfrogml.locks import lock
from webui.reviews import webhooks
from webui.reviews.effective import (
    EffectiveStatus,
    version_effective_status,
    versions_effective_status,
)
from webui.reviews.models import LedgerEntry, PromotionRule, ReviewRequest
from webui.reviews.rules import RulesOutcome, RuleSpec, evaluate_rules, settings_rules
from webui.reviews.transitions import STATUSES, move_refusal

__all__ = [
    "ApplyResult",
    "EffectiveStatus",
    "ReviewRefused",
    "promotion_direct",
    "promotion_request_cancel",
    "promotion_request_create",
    "promotion_request_decide",
    "version_effective_status",
    "versions_effective_status",
]

log = logging.getLogger("pond.reviews")

REQUEST_PERM = "dashboard.request_promotion"
DECIDE_PERM = "dashboard.decide_promotion"


class ReviewRefused(Exception):
    """A refusal to show the user: `.field` names the form field it is about."""

    def __init__(self, message: str, *, field: str = "__all__", status: int = 400) -> None:
        self.message = message
        self.field = field
        self.status = status
        super().__init__(message)


@dataclass
class ApplyResult:
    ok: bool
    entries: list[LedgerEntry] = field(default_factory=list)
    message: str = ""

    @property
    def pond_only(self) -> bool:
        return any(e.outcome == LedgerEntry.POND for e in self.entries)


@dataclass
class Situation:
    """A model and its versions as they stand now, with effective statuses."""

    model: Any
    versions: list[Any]
    effective: dict[str, EffectiveStatus]
    candidate: Any

    @property
    def production_versions(self) -> list[Any]:
        return [
            v
            for v in self.versions
            if self.effective[str(v.id)].status == "production" and str(v.id) != str(self.candidate.id)
        ]

    @property
    def candidate_status(self) -> EffectiveStatus:
        return self.effective[str(self.candidate.id)]


def two_person_rule() -> bool:
    return bool(settings.POND_TWO_PERSON_RULE)


def direct_promotion_allowed(*, user: Any) -> bool:
    return bool(settings.POND_REVIEWER_DIRECT_PROMOTE) and user.has_perm(DECIDE_PERM)


# --- reading the situation ------------------------------------------------------------


def _ledger_for_model(model_id: str):
    return LedgerEntry.objects.filter(
        model_id=model_id, kind=LedgerEntry.APPLY, outcome__in=(LedgerEntry.UPSTREAM, LedgerEntry.POND)
    )


def situation_read(*, model_id: str, version_id: str, fresh: bool = False) -> Situation:
    """The model, its versions and their effective statuses, and the candidate.

    `fresh` reads JFrog ML directly instead of through the cache: decisions are
    taken on what upstream holds now, pages may show cached data with its age.
    Raises NotFound for an unknown model or version.
    """
    if fresh:
        client = get_client()
        model = client.get_model(model_id)
        versions = list(client.list_model_versions(model_id))
    else:
        data = upstream.model_overview(model_id=model_id)
        model, versions = data.model, list(data.versions)
    candidate = next((v for v in versions if str(v.id) == str(version_id)), None)
    if candidate is None:
        if fresh:
            candidate = get_client().get_model_version(model_id, version_id)
        else:
            candidate = upstream.version_detail(model_id=model_id, version_id=version_id).version
        versions.append(candidate)
    effective = versions_effective_status(versions=versions, ledger_entries=_ledger_for_model(model_id))
    return Situation(model=model, versions=versions, effective=effective, candidate=candidate)


def rules_for_model() -> list[RuleSpec]:
    """Every enabled rule, from settings and from the database (scope checked later)."""
    rules = settings_rules(settings.POND_PROMOTION_RULES)
    rules += [RuleSpec.from_model(r) for r in PromotionRule.objects.filter(enabled=True)]
    return rules


def rules_check(*, situation: Situation, to_status: str) -> RulesOutcome:
    return evaluate_rules(
        rules=rules_for_model(),
        model_id=str(situation.model.id),
        tags=situation.model.tags,
        to_status=to_status,
        candidate=situation.candidate,
        production_versions=situation.production_versions,
    )


def _metrics(version: Any) -> dict[str, float]:
    return dict(getattr(version, "metrics", None) or {})


def _label(version: Any) -> str:
    return str(getattr(version, "version", None) or version.id)


def _model_name(model: Any) -> str:
    return str(getattr(model, "name", None) or model.id)


def _entry(
    *,
    kind: str,
    actor: str,
    model: Any,
    version: Any,
    from_status: str,
    to_status: str,
    comment: str = "",
    outcome: str = "",
    details: dict | None = None,
    request: ReviewRequest | None = None,
) -> LedgerEntry:
    details = dict(details or {})
    created = getattr(version, "created_at", None)
    if created is not None and hasattr(created, "isoformat"):
        # Lets `production_on` tell "already production" from "did not exist yet".
        details.setdefault("version_created_at", created.isoformat())
    return LedgerEntry.objects.create(
        kind=kind,
        actor=actor,
        model_id=str(model.id),
        model_name=_model_name(model),
        version_id=str(version.id),
        version_label=_label(version),
        from_status=from_status,
        to_status=to_status,
        comment=comment,
        outcome=outcome,
        metrics=_metrics(version),
        details=details,
        request=request,
    )


def _clean_text(value: Any, *, field: str, what: str, required: bool, limit: int = 5000) -> str:
    text = ("" if value is None else str(value)).strip()
    if required and not text:
        raise ReviewRefused(f"{what} is required.", field=field)
    if len(text) > limit:
        raise ReviewRefused(f"{what} is too long (at most {limit} characters).", field=field)
    return text


def _check_move(*, from_status: str, to_status: str) -> None:
    if to_status not in STATUSES:
        raise ReviewRefused(move_refusal(from_status=from_status, to_status=to_status) or "", field="to_status")
    refusal = move_refusal(from_status=from_status, to_status=to_status)
    if refusal:
        raise ReviewRefused(refusal, field="to_status")


def _gate(*, outcome: RulesOutcome, override_reason: str) -> None:
    if outcome.passed or override_reason:
        return
    failed = "; ".join(f"{r.rule.describe()} — {r.message}" for r in outcome.failures)
    raise ReviewRefused(
        f"Promotion rules failed: {failed}. Approving anyway needs a written override reason.",
        field="override_reason",
    )


# --- requests ------------------------------------------------------------------------------


def promotion_request_create(
    *,
    user: Any,
    model_id: str,
    version_id: str,
    to_status: str,
    note: str,
    archive_current: bool = True,
    deploy: bool = False,
) -> ReviewRequest:
    """Ask for a version to move to `to_status`. Refuses a move that is not allowed,
    and a second pending request for the same version."""
    if not user.has_perm(REQUEST_PERM):
        raise PermissionDenied("You need the request_promotion right to request a promotion.")
    note = _clean_text(note, field="note", what="A note", required=True)
    to_status = (to_status or "").strip()
    situation = situation_read(model_id=model_id, version_id=version_id)
    from_status = situation.candidate_status.status
    _check_move(from_status=from_status, to_status=to_status)
    if ReviewRequest.objects.filter(model_id=model_id, version_id=version_id, state=ReviewRequest.PENDING).exists():
        raise ReviewRefused("A promotion request for this version is already pending.", field="to_status", status=409)
    rules = rules_check(situation=situation, to_status=to_status)
    from django.db import IntegrityError, transaction

    try:
        with transaction.atomic():
            request = ReviewRequest.objects.create(
                model_id=str(situation.model.id),
                model_name=_model_name(situation.model),
                version_id=str(situation.candidate.id),
                version_label=_label(situation.candidate),
                from_status=from_status,
                to_status=to_status,
                note=note,
                archive_current=bool(archive_current) and to_status == "production",
                deploy=bool(deploy) and to_status == "production",
                requested_by=user,
                requested_by_name=user.get_username(),
            )
            _entry(
                kind=LedgerEntry.REQUEST,
                actor=user.get_username(),
                model=situation.model,
                version=situation.candidate,
                from_status=from_status,
                to_status=to_status,
                comment=note,
                request=request,
                details={
                    "rules": rules.as_json(),
                    "archive_current": request.archive_current,
                    "deploy": request.deploy,
                },
            )
    except IntegrityError:
        # Two people asked at the same moment; the constraint let one through.
        raise ReviewRefused(
            "A promotion request for this version is already pending.", field="to_status", status=409
        ) from None
    return request


def promotion_request_cancel(*, user: Any, request_id: int, comment: str = "") -> ReviewRequest:
    """The requester (or a reviewer) withdraws a pending request."""
    request = _pending_request(request_id)
    if request.requested_by_id != user.pk and not user.has_perm(DECIDE_PERM):
        raise PermissionDenied("Only the requester or a reviewer can withdraw this request.")
    comment = _clean_text(comment, field="comment", what="A comment", required=False)
    if not _claim(request, state=ReviewRequest.CANCELLED, user=user, comment=comment):
        raise ReviewRefused("This request has already been decided.", status=409)
    request.refresh_from_db()
    LedgerEntry.objects.create(
        kind=LedgerEntry.CANCEL,
        actor=user.get_username(),
        model_id=request.model_id,
        model_name=request.model_name,
        version_id=request.version_id,
        version_label=request.version_label,
        from_status=request.from_status,
        to_status=request.to_status,
        comment=comment,
        request=request,
    )
    return request


def _pending_request(request_id: Any) -> ReviewRequest:
    try:
        request = ReviewRequest.objects.get(pk=int(request_id))
    except (ReviewRequest.DoesNotExist, TypeError, ValueError):
        raise ReviewRefused("No such promotion request.", field="request", status=404) from None
    if not request.is_pending:
        raise ReviewRefused(f"This request has already been {request.get_state_display()}.", status=409)
    return request


def _claim(request: ReviewRequest, *, state: str, user: Any, comment: str, override_reason: str = "") -> bool:
    """Move a request out of pending exactly once, whoever else is deciding it."""
    won = ReviewRequest.objects.filter(pk=request.pk, state=ReviewRequest.PENDING).update(
        state=state,
        decided_by=user,
        decided_by_name=user.get_username(),
        decided_at=timezone.now(),
        decision_comment=comment,
        override_reason=override_reason,
    )
    return bool(won)


def promotion_request_decide(
    *,
    user: Any,
    request_id: int,
    approve: bool,
    comment: str = "",
    override_reason: str = "",
) -> ApplyResult:
    """A reviewer approves (and Pond applies) or rejects a pending request."""
    if not user.has_perm(DECIDE_PERM):
        raise PermissionDenied("You need the decide_promotion right to decide a promotion.")
    request = _pending_request(request_id)
    comment = _clean_text(comment, field="comment", what="A comment", required=not approve)
    override_reason = _clean_text(override_reason, field="override_reason", what="An override reason", required=False)
    if approve and settings.POND_TWO_PERSON_RULE:
        if not request.requester_known:
            raise ReviewRefused(
                "Pond does not know who requested this promotion any more, so the two-person rule cannot "
                "be checked: reject it, and ask for it again.",
                status=403,
            )
        if request.asked_by(user):
            raise ReviewRefused(
                "You requested this promotion; another reviewer must approve it (two-person rule).", status=403
            )
    actor = user.get_username()

    if not approve:
        if not _claim(request, state=ReviewRequest.REJECTED, user=user, comment=comment):
            raise ReviewRefused("This request has already been decided.", status=409)
        entry = LedgerEntry.objects.create(
            kind=LedgerEntry.REJECT,
            actor=actor,
            model_id=request.model_id,
            model_name=request.model_name,
            version_id=request.version_id,
            version_label=request.version_label,
            from_status=request.from_status,
            to_status=request.to_status,
            comment=comment,
            request=request,
            metrics=_request_metrics(request),
        )
        webhooks.decision_announce(entry=entry)
        return ApplyResult(ok=True, entries=[entry], message="Request rejected.")

    with lock(f"promote:{request.model_id}", timeout=60, blocking=True) as acquired:
        if not acquired:
            raise ReviewRefused("Another promotion of this model is being applied; try again.", status=409)
        situation = _fresh_situation(request.model_id, request.version_id)
        from_status = situation.candidate_status.status
        _check_move(from_status=from_status, to_status=request.to_status)
        rules = rules_check(situation=situation, to_status=request.to_status)
        _gate(outcome=rules, override_reason=override_reason)
        if not _claim(request, state=ReviewRequest.APPROVED, user=user, comment=comment, override_reason=override_reason):
            raise ReviewRefused("This request has already been decided.", status=409)
        request.refresh_from_db()
        details = {"rules": rules.as_json(), "production_metrics": _production_metrics(situation)}
        decision = _record_decision(
            kind=LedgerEntry.APPROVE, actor=actor, situation=situation, from_status=from_status,
            to_status=request.to_status, rules=rules, override_reason=override_reason, comment=comment,
            details=details, request=request,
        )
        result = _apply(
            actor=actor,
            situation=situation,
            to_status=request.to_status,
            archive_current=request.archive_current,
            deploy=request.deploy,
            request=request,
        )
    request.state = ReviewRequest.APPROVED if result.ok else ReviewRequest.FAILED
    request.outcome_message = result.message
    request.save(update_fields=["state", "outcome_message"])
    result.entries.insert(0, decision)
    webhooks.decision_announce(entry=decision, result=result)
    return result


def promotion_direct(
    *,
    user: Any,
    model_id: str,
    version_id: str,
    to_status: str,
    comment: str,
    override_reason: str = "",
    archive_current: bool = True,
    deploy: bool = False,
) -> ApplyResult:
    """A reviewer moves a version without a request, where settings allow it."""
    if not user.has_perm(DECIDE_PERM):
        raise PermissionDenied("You need the decide_promotion right to promote.")
    if not settings.POND_REVIEWER_DIRECT_PROMOTE:
        raise ReviewRefused(
            "Direct promotion is turned off here (POND_REVIEWER_DIRECT_PROMOTE); request a review instead.",
            status=403,
        )
    comment = _clean_text(comment, field="comment", what="A comment", required=True)
    override_reason = _clean_text(override_reason, field="override_reason", what="An override reason", required=False)
    to_status = (to_status or "").strip()
    if to_status not in STATUSES:
        _check_move(from_status="", to_status=to_status)
    if ReviewRequest.objects.filter(model_id=model_id, version_id=version_id, state=ReviewRequest.PENDING).exists():
        raise ReviewRefused("A promotion request for this version is pending; decide it instead.", status=409)
    actor = user.get_username()
    with lock(f"promote:{model_id}", timeout=60, blocking=True) as acquired:
        if not acquired:
            raise ReviewRefused("Another promotion of this model is being applied; try again.", status=409)
        situation = _fresh_situation(model_id, version_id)
        from_status = situation.candidate_status.status
        _check_move(from_status=from_status, to_status=to_status)
        rules = rules_check(situation=situation, to_status=to_status)
        _gate(outcome=rules, override_reason=override_reason)
        details = {
            "rules": rules.as_json(),
            "production_metrics": _production_metrics(situation),
            "archive_current": bool(archive_current) and to_status == "production",
            "deploy": bool(deploy) and to_status == "production",
        }
        decision = _record_decision(
            kind=LedgerEntry.DIRECT, actor=actor, situation=situation, from_status=from_status,
            to_status=to_status, rules=rules, override_reason=override_reason, comment=comment,
            details=details,
        )
        result = _apply(
            actor=actor,
            situation=situation,
            to_status=to_status,
            archive_current=bool(archive_current),
            deploy=bool(deploy),
            request=None,
        )
    result.entries.insert(0, decision)
    webhooks.decision_announce(entry=decision, result=result)
    return result


def _record_decision(
    *,
    kind: str,
    actor: str,
    situation: Situation,
    from_status: str,
    to_status: str,
    rules: Any,
    override_reason: str,
    comment: str,
    details: dict,
    request: ReviewRequest | None = None,
) -> LedgerEntry:
    """The ledger's record of a decision: the override first when a rule failed, then the decision."""
    if not rules.passed:
        _entry(
            kind=LedgerEntry.OVERRIDE, actor=actor, model=situation.model, version=situation.candidate,
            from_status=from_status, to_status=to_status, comment=override_reason, details=details, request=request,
        )
    return _entry(
        kind=kind, actor=actor, model=situation.model, version=situation.candidate,
        from_status=from_status, to_status=to_status, comment=comment, details=details, request=request,
    )


def _fresh_situation(model_id: str, version_id: str) -> Situation:
    try:
        return situation_read(model_id=model_id, version_id=version_id, fresh=True)
    except NotFound as exc:
        raise ReviewRefused(
            f"The version no longer exists in JFrog ML ({exc.message}); reject the request instead.", status=409
        ) from None


def _production_metrics(situation: Situation) -> dict[str, dict[str, float]]:
    return {_label(v): _metrics(v) for v in situation.production_versions}


def _request_metrics(request: ReviewRequest) -> dict:
    first = request.entries.filter(kind=LedgerEntry.REQUEST).first()
    return dict(first.metrics) if first else {}


# --- applying ----------------------------------------------------------------------------------


def _apply(
    *,
    actor: str,
    situation: Situation,
    to_status: str,
    archive_current: bool,
    deploy: bool,
    request: ReviewRequest | None,
) -> ApplyResult:
    """Archive the current production version(s) if asked, move the candidate, deploy
    if asked: each step its own ledger entry; stop at the first step that fails."""
    result = ApplyResult(ok=True)
    steps: list[tuple[Any, str, str]] = []
    if to_status == "production" and archive_current:
        steps += [(v, "production", "archived") for v in situation.production_versions]
    steps.append((situation.candidate, situation.candidate_status.status, to_status))

    for version, from_status, target in steps:
        entry = _apply_step(
            actor=actor, model=situation.model, version=version, from_status=from_status, to_status=target, request=request
        )
        result.entries.append(entry)
        if entry.outcome == LedgerEntry.FAILED:
            result.ok = False
            done = [e for e in result.entries if e.applied]
            result.message = (
                f"Could not set {_label(version)} to {target}: {entry.details.get('error')}. "
                + (
                    "Already applied: " + ", ".join(f"{e.version_label} → {e.to_status}" for e in done) + "."
                    if done
                    else "Nothing was changed."
                )
            )
            return result

    if deploy and to_status == "production":
        result.entries.append(_deploy_step(actor=actor, situation=situation, request=request))
        if result.entries[-1].outcome == LedgerEntry.FAILED:
            result.ok = False
            result.message = (
                f"{_label(situation.candidate)} is now production, but deploying it failed: "
                f"{result.entries[-1].details.get('error')}."
            )
            return result

    moved = ", ".join(f"{e.version_label} → {e.to_status}" for e in result.entries if e.kind == LedgerEntry.APPLY)
    result.message = f"Applied: {moved}."
    if result.pond_only:
        result.message += " JFrog ML cannot record version statuses, so Pond keeps them as the effective status."
    return result


def _apply_step(
    *, actor: str, model: Any, version: Any, from_status: str, to_status: str, request: ReviewRequest | None
) -> LedgerEntry:
    upstream_before = str(getattr(version, "status", "") or "")
    details: dict[str, Any] = {"upstream_before": upstream_before}
    try:
        upstream.version_set_status(model_id=str(model.id), version_id=str(version.id), status=to_status)
        outcome = LedgerEntry.UPSTREAM
    except OperationUnsupported as exc:
        outcome = LedgerEntry.POND
        details["upstream_said"] = exc.message
    except JFrogMLError as exc:
        outcome = LedgerEntry.FAILED
        details["error"] = exc.message
        details["error_type"] = type(exc).__name__
        log.warning("promotion step %s %s → %s failed: %r", model.id, version.id, to_status, exc)
    return _entry(
        kind=LedgerEntry.APPLY,
        actor=actor,
        model=model,
        version=version,
        from_status=from_status,
        to_status=to_status,
        outcome=outcome,
        details=details,
        request=request,
    )


def _deploy_step(*, actor: str, situation: Situation, request: ReviewRequest | None) -> LedgerEntry:
    model, version = situation.model, situation.candidate
    name = f"{_model_name(model)}-{_label(version)}"[:120]
    details: dict[str, Any] = {"name": name}
    try:
        deployment = upstream.deployment_create(name=name, model_id=str(model.id), model_version_id=str(version.id))
        outcome = LedgerEntry.UPSTREAM
        details["deployment_id"] = str(getattr(deployment, "id", "") or "")
    except JFrogMLError as exc:
        outcome = LedgerEntry.FAILED
        details["error"] = exc.message
        details["error_type"] = type(exc).__name__
    return _entry(
        kind=LedgerEntry.DEPLOY,
        actor=actor,
        model=model,
        version=version,
        from_status="production",
        to_status="production",
        outcome=outcome,
        details=details,
        request=request,
    )
