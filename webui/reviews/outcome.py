"""Where a decision's plan stands, in words for the reviewer, and recording it: the
decision's state from its steps (`outcome_of`), and `conclude`, which records that
state on the decision and its request and announces an end state once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from webui.reviews import webhooks
from webui.reviews.models import Decision, DecisionStep, LedgerEntry, ReviewRequest

# Forward steps whose failure is undone (a failed deployment leaves the version
# production all the same: nothing to undo).
UNDONE_ON_FAILURE = (DecisionStep.ARCHIVE, DecisionStep.PROMOTE)


@dataclass
class ApplyResult:
    ok: bool
    entries: list[LedgerEntry] = field(default_factory=list)
    message: str = ""
    state: str = ""

    @property
    def pond_only(self) -> bool:
        return any(e.outcome == LedgerEntry.POND for e in self.entries)

    @property
    def without_production(self) -> bool:
        return self.state == Decision.UNRESTORED



def moves(steps: list[DecisionStep]) -> str:
    return ", ".join(f"{s.version_label} → {s.to_status}" for s in steps)


def outcome_of(decision: Decision, steps: list[DecisionStep]) -> tuple[str, str]:
    """The decision's state and the sentence that tells the reviewer, from its steps."""
    forward_failed = next((s for s in steps if s.kind in UNDONE_ON_FAILURE and s.state == DecisionStep.FAILED), None)
    planned = [s for s in steps if s.state == DecisionStep.PLANNED]
    name = decision.model_name or decision.model_id
    if forward_failed is None:
        waiting = next((s for s in planned if s.kind in DecisionStep.FORWARD), None)
        if waiting is not None:
            within = round(settings.POND_DECISION_RECOVERY_GRACE + settings.POND_DECISION_RECOVERY_INTERVAL)
            doing = (
                f"deploying {waiting.version_label}"
                if waiting.kind == DecisionStep.DEPLOY
                else f"setting {waiting.version_label} to {waiting.to_status}"
            )
            return Decision.APPLYING, (
                f"JFrog ML did not answer while {doing}"
                f"{f' ({waiting.last_error})' if waiting.last_error else ''}. The decision is recorded: Pond "
                f"finishes it, or undoes it, on its own (it tries again after about {within} seconds)."
            )
        deploy = next((s for s in steps if s.kind == DecisionStep.DEPLOY), None)
        if deploy is not None and deploy.state == DecisionStep.FAILED:
            return Decision.FAILED, (
                f"{decision.version_label} is now production, but deploying it failed: {deploy.last_error}."
            )
        moved = moves([s for s in steps if s.kind in (DecisionStep.ARCHIVE, DecisionStep.PROMOTE)])
        message = f"Applied: {moved}."
        if any(s.entry_id and s.entry.outcome == LedgerEntry.POND for s in steps):
            message += " JFrog ML cannot record version statuses, so Pond keeps them as the effective status."
        return Decision.APPLIED, message
    failure = f"Could not set {forward_failed.version_label} to {forward_failed.to_status}: {forward_failed.last_error}."
    restores = [s for s in steps if s.kind == DecisionStep.RESTORE]
    if not restores:
        done = [s for s in steps if s.kind in UNDONE_ON_FAILURE and s.state == DecisionStep.DONE]
        return Decision.FAILED, failure + (
            f" Already applied: {moves(done)}." if done else " Nothing was changed."
        )
    if all(s.state == DecisionStep.DONE for s in restores):
        return Decision.ROLLED_BACK, (
            f"{failure} Rolled back: {moves(restores)} again. Nothing else was changed."
        )
    lost = [s for s in restores if s.state != DecisionStep.DONE]
    superseded = [s for s in lost if s.state == DecisionStep.SKIPPED]
    errors = "; ".join(s.last_error for s in lost if s.last_error and s not in superseded) or "no answer"
    message = (
        f"{failure} Restoring {', '.join(s.version_label for s in lost)} to production failed too ({errors}): "
        f"{name} was left without a production version."
    )
    if superseded:
        return Decision.UNRESTORED, f"{message} Restoring it was given up: {superseded[0].last_error.split(': ', 1)[-1]}."
    if any(s.state == DecisionStep.PLANNED for s in lost):
        return Decision.UNRESTORED, f"{message} {name} has no production version now: Pond keeps trying."
    return Decision.UNRESTORED, (
        f"{message} {name} has no production version now: set one in JFrog ML, or approve a promotion to production."
    )


def conclude(decision: Decision) -> ApplyResult:
    """Record where the plan stands; an end state reached is announced in the same commit."""
    steps = list(decision.steps.select_related("entry").order_by("order"))
    state, message = outcome_of(decision, steps)
    before = decision.state
    entries = [decision.entry] + sorted((s.entry for s in steps if s.entry_id), key=lambda e: e.pk)
    result = ApplyResult(ok=state == Decision.APPLIED, entries=entries, message=message, state=state)
    if (state, message) == (before, decision.message):
        return result
    now = timezone.now()
    with transaction.atomic():
        won = Decision.objects.filter(pk=decision.pk, state=before).update(
            state=state, message=message, updated_at=now, finished_at=None if state == Decision.APPLYING else now
        )
        if not won:  # someone else concluded it first (never under the lock; a safeguard)
            decision.refresh_from_db()
            return ApplyResult(ok=decision.state == Decision.APPLIED, entries=entries,
                               message=decision.message, state=decision.state)  # fmt: skip
        decision.state, decision.message = state, message
        if decision.request_id:
            ReviewRequest.objects.filter(pk=decision.request_id).update(
                state=Decision.REQUEST_STATE[state], outcome_message=message
            )
        if state != before and state != Decision.APPLYING:
            webhooks.decision_announce(entry=decision.entry, result=result)
    return result
