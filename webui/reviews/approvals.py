"""A reviewer's decision on a request, and a direct promotion by an admin.

Either is claimed, recorded in the ledger and written down as a plan of steps in one
transaction, before any upstream call (webui/reviews/services.py reads the situation and
checks the rules both share); webui/reviews/decisions.py then applies the plan.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction

from webui.jfrogml.errors import JFrogMLError, NotFound
from webui.reviews import evidence, webhooks
from webui.reviews.decisions import (
    decision_apply,
    decision_plan,
    label_of,
    metrics_of,
    model_lock,
    unfinished_decision,
)
from webui.reviews.models import LedgerEntry, ReviewRequest
from webui.reviews.outcome import ApplyResult
from webui.reviews.services import (
    DECIDE_PERM,
    ReviewRefused,
    Situation,
    check_move,
    clean_text,
    ledger_entry,
    pending_request_get,
    request_claim,
    request_ledger_entry,
    rules_check,
    rules_gate,
    situation_read,
)
from webui.reviews.transitions import STATUSES

log = logging.getLogger("pond.reviews")


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
    request = pending_request_get(request_id)
    comment = clean_text(comment, field="comment", what="A comment", required=not approve)
    override_reason = clean_text(override_reason, field="override_reason", what="An override reason", required=False)
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
        # What the reviewer saw when rejecting: kept with the rejection (a rejection
        # needs no upstream answer, so one that cannot be read is said, not refused).
        try:
            seen = situation_read(model_id=request.model_id, version_id=request.version_id)
            kept = evidence.snapshot(
                situation=seen, rules=rules_check(situation=seen, to_status=request.to_status)
            )
        except JFrogMLError as exc:
            kept = evidence.unavailable(exc.message)
        with transaction.atomic():
            if not request_claim(request, state=ReviewRequest.REJECTED, user=user, comment=comment):
                raise ReviewRefused("This request has already been decided.", status=409)
            entry = request_ledger_entry(
                request, kind=LedgerEntry.REJECT, actor=actor, comment=comment, metrics=_request_metrics(request),
                details={"evidence": kept},
            )
            # In the outbox, in the rejection's own transaction.
            webhooks.decision_announce(entry=entry)
        return ApplyResult(ok=True, entries=[entry], message="Request rejected.", state="rejected")

    with model_lock(request.model_id, blocking=True) as acquired:
        if not acquired:
            raise ReviewRefused("Another promotion of this model is being applied; try again.", status=409)
        _refuse_while_unfinished(request.model_id)
        situation = _fresh_situation(request.model_id, request.version_id)
        from_status = situation.candidate_status.status
        check_move(from_status=from_status, to_status=request.to_status)
        rules = rules_check(situation=situation, to_status=request.to_status)
        rules_gate(outcome=rules, override_reason=override_reason)
        details = {"rules": rules.as_json(), "production_metrics": _production_metrics(situation)}
        # The claim, the decision's ledger entries and its plan: all or nothing, so two
        # reviewers deciding at once on two processes make one decision, one plan.
        with transaction.atomic():
            if not request_claim(request, state=ReviewRequest.APPLYING, user=user, comment=comment, override_reason=override_reason):
                raise ReviewRefused("This request has already been decided.", status=409)
            request.refresh_from_db()
            entry = _record_decision(
                kind=LedgerEntry.APPROVE, actor=actor, situation=situation, from_status=from_status,
                to_status=request.to_status, rules=rules, override_reason=override_reason, comment=comment,
                details=details, request=request,
                kept=evidence.snapshot(situation=situation, rules=rules, override_reason=override_reason),
            )  # fmt: skip
            decision = decision_plan(
                entry=entry,
                situation=situation,
                to_status=request.to_status,
                archive_current=request.archive_current,
                deploy=request.deploy,
                request=request,
            )
        return decision_apply(decision, known=_upstream_statuses(situation))


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
    comment = clean_text(comment, field="comment", what="A comment", required=True)
    override_reason = clean_text(override_reason, field="override_reason", what="An override reason", required=False)
    to_status = (to_status or "").strip()
    if to_status not in STATUSES:
        check_move(from_status="", to_status=to_status)
    if ReviewRequest.objects.filter(model_id=model_id, version_id=version_id, state=ReviewRequest.PENDING).exists():
        raise ReviewRefused("A promotion request for this version is pending; decide it instead.", status=409)
    actor = user.get_username()
    with model_lock(model_id, blocking=True) as acquired:
        if not acquired:
            raise ReviewRefused("Another promotion of this model is being applied; try again.", status=409)
        _refuse_while_unfinished(model_id)
        situation = _fresh_situation(model_id, version_id)
        from_status = situation.candidate_status.status
        check_move(from_status=from_status, to_status=to_status)
        rules = rules_check(situation=situation, to_status=to_status)
        rules_gate(outcome=rules, override_reason=override_reason)
        details = {
            "rules": rules.as_json(),
            "production_metrics": _production_metrics(situation),
            "archive_current": bool(archive_current) and to_status == "production",
            "deploy": bool(deploy) and to_status == "production",
        }
        with transaction.atomic():
            entry = _record_decision(
                kind=LedgerEntry.DIRECT, actor=actor, situation=situation, from_status=from_status,
                to_status=to_status, rules=rules, override_reason=override_reason, comment=comment,
                details=details,
                kept=evidence.snapshot(situation=situation, rules=rules, override_reason=override_reason),
            )  # fmt: skip
            decision = decision_plan(
                entry=entry,
                situation=situation,
                to_status=to_status,
                archive_current=bool(archive_current),
                deploy=bool(deploy),
                request=None,
            )
        return decision_apply(decision, known=_upstream_statuses(situation))


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
    kept: dict | None = None,
) -> LedgerEntry:
    """The ledger's record of a decision: the override first when a rule failed, then the
    decision, which keeps the evidence it was taken on."""
    if not rules.passed:
        ledger_entry(
            kind=LedgerEntry.OVERRIDE, actor=actor, model=situation.model, version=situation.candidate,
            from_status=from_status, to_status=to_status, comment=override_reason, details=details, request=request,
        )
    return ledger_entry(
        kind=kind, actor=actor, model=situation.model, version=situation.candidate, from_status=from_status,
        to_status=to_status, comment=comment, details={**details, "evidence": kept} if kept else details,
        request=request,
    )  # fmt: skip


def _refuse_while_unfinished(model_id: str) -> None:
    earlier = unfinished_decision(model_id=model_id)
    if earlier is not None:
        within = round(settings.POND_DECISION_RECOVERY_GRACE + settings.POND_DECISION_RECOVERY_INTERVAL)
        raise ReviewRefused(
            f"An earlier decision on this model ({earlier.version_label} → {earlier.to_status}) is still being "
            f"applied: Pond finishes it, or undoes it, within about {within} seconds. Try again then.",
            status=409,
        )


def _fresh_situation(model_id: str, version_id: str) -> Situation:
    try:
        return situation_read(model_id=model_id, version_id=version_id, fresh=True)
    except NotFound as exc:
        raise ReviewRefused(
            f"The version no longer exists in JFrog ML ({exc.message}); reject the request instead.", status=409
        ) from None


def _production_metrics(situation: Situation) -> dict[str, dict[str, float]]:
    return {label_of(v): metrics_of(v) for v in situation.production_versions}


def _request_metrics(request: ReviewRequest) -> dict:
    first = request.entries.filter(kind=LedgerEntry.REQUEST).first()
    return dict(first.metrics) if first else {}


def _upstream_statuses(situation: Situation) -> dict[str, str]:
    """What JFrog ML said of each version in the decision's fresh read: the first try
    of each step needs not ask again."""
    return {str(v.id): str(getattr(v, "status", "") or "") for v in situation.versions}
