"""Promotion workflow: the situation a review is decided on, its rules, and the requests
(ask, withdraw); deciding and promoting directly are in webui/reviews/approvals.py.

An approval is claimed, recorded in the ledger and written down as a plan of steps in
one transaction, before any upstream call; the steps are then applied (and undone
when a later one fails) by webui/reviews/decisions.py, each recorded as it happens
(never one transaction across an upstream call), so a failure or a crash part way
leaves a record that says exactly which steps took effect, and a plan that recovery
finishes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from webui.core.roles import ADMIN, role_of
from webui.jfrogml import services as upstream
from webui.reviews.decisions import (
    label_of,
    metrics_of,
    model_name_of,
)
from webui.reviews.effective import (
    EffectiveStatus,
    version_effective_status,
    versions_effective_status,
)
from webui.reviews.models import LedgerEntry, PromotionRule, ReviewRequest
from webui.reviews.rules import RulesOutcome, RuleSpec, evaluate_rules, settings_rules
from webui.reviews.transitions import STATUSES, move_refusal

__all__ = [
    "EffectiveStatus",
    "ReviewRefused",
    "promotion_request_cancel",
    "promotion_request_create",
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
        model, versions = upstream.model_read_fresh(model_id=model_id)
    else:
        data = upstream.model_overview(model_id=model_id)
        model, versions = data.model, list(data.versions)
    candidate = next((v for v in versions if str(v.id) == str(version_id)), None)
    if candidate is None:
        if fresh:
            candidate = upstream.version_read_fresh(model_id=model_id, version_id=version_id)
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


def request_ledger_entry(request: ReviewRequest, *, kind: str, actor: str, comment: str = "", **extra: Any) -> LedgerEntry:
    """A ledger entry about a request, with the names it kept (no upstream read needed)."""
    return LedgerEntry.objects.create(
        kind=kind,
        actor=actor,
        model_id=request.model_id,
        model_name=request.model_name,
        version_id=request.version_id,
        version_label=request.version_label,
        from_status=request.from_status,
        to_status=request.to_status,
        comment=comment,
        request=request,
        **extra,
    )


def ledger_entry(
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
        model_name=model_name_of(model),
        version_id=str(version.id),
        version_label=label_of(version),
        from_status=from_status,
        to_status=to_status,
        comment=comment,
        outcome=outcome,
        metrics=metrics_of(version),
        details=details,
        request=request,
    )


def clean_text(value: Any, *, field: str, what: str, required: bool, limit: int = 5000) -> str:
    text = ("" if value is None else str(value)).strip()
    if required and not text:
        raise ReviewRefused(f"{what} is required.", field=field)
    if len(text) > limit:
        raise ReviewRefused(f"{what} is too long (at most {limit} characters).", field=field)
    return text


def check_move(*, from_status: str, to_status: str) -> None:
    if to_status not in STATUSES:
        raise ReviewRefused(move_refusal(from_status=from_status, to_status=to_status) or "", field="to_status")
    refusal = move_refusal(from_status=from_status, to_status=to_status)
    if refusal:
        raise ReviewRefused(refusal, field="to_status")


def rules_gate(*, outcome: RulesOutcome, override_reason: str) -> None:
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
    note = clean_text(note, field="note", what="A note", required=True)
    to_status = (to_status or "").strip()
    situation = situation_read(model_id=model_id, version_id=version_id)
    from_status = situation.candidate_status.status
    check_move(from_status=from_status, to_status=to_status)
    if ReviewRequest.objects.filter(model_id=model_id, version_id=version_id, state=ReviewRequest.PENDING).exists():
        raise ReviewRefused("A promotion request for this version is already pending.", field="to_status", status=409)
    rules = rules_check(situation=situation, to_status=to_status)
    try:
        with transaction.atomic():
            request = ReviewRequest.objects.create(
                model_id=str(situation.model.id),
                model_name=model_name_of(situation.model),
                version_id=str(situation.candidate.id),
                version_label=label_of(situation.candidate),
                from_status=from_status,
                to_status=to_status,
                note=note,
                archive_current=bool(archive_current) and to_status == "production",
                deploy=bool(deploy) and to_status == "production",
                requested_by=user,
                requested_by_name=user.get_username(),
            )
            ledger_entry(
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


def withdraw_allowed(*, user: Any, request: ReviewRequest) -> bool:
    """Who may withdraw a pending request: its requester, or an admin (with a comment)."""
    return request.asked_by(user) or role_of(user) == ADMIN


def promotion_request_cancel(*, user: Any, request_id: int, comment: str = "") -> ReviewRequest:
    """The requester withdraws a pending request. An admin may withdraw anyone's, saying
    why: a reviewer who is not the requester decides it instead (a rejection needs a
    comment too), so nobody makes a request disappear without a word on the record."""
    request = pending_request_get(request_id)
    if not withdraw_allowed(user=user, request=request):
        # Said on the review's page (a 403 there), not the generic "your role" page:
        # the role is not what is missing, being the one who asked is.
        who = request.requested_by_name or "the person who asked"
        raise ReviewRefused(
            f"Only {who} can withdraw this request (or an admin, with a comment). "
            "A reviewer who disagrees rejects it instead.",
            field="request",
            status=403,
        )
    own = request.asked_by(user)
    comment = clean_text(
        comment, field="comment", what="A comment saying why you withdraw someone else's request", required=not own
    )
    if not request_claim(request, state=ReviewRequest.CANCELLED, user=user, comment=comment):
        raise ReviewRefused("This request has already been decided.", status=409)
    request.refresh_from_db()
    request_ledger_entry(request, kind=LedgerEntry.CANCEL, actor=user.get_username(), comment=comment)
    return request


def pending_request_get(request_id: Any) -> ReviewRequest:
    try:
        request = ReviewRequest.objects.get(pk=int(request_id))
    except (ReviewRequest.DoesNotExist, TypeError, ValueError):
        raise ReviewRefused("No such promotion request.", field="request", status=404) from None
    if not request.is_pending:
        raise ReviewRefused(f"This request has already been {request.get_state_display()}.", status=409)
    return request


def request_claim(request: ReviewRequest, *, state: str, user: Any, comment: str, override_reason: str = "") -> bool:
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
