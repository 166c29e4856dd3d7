"""The life of a model version: which status moves exist, and why others do not."""

from __future__ import annotations

from webui.jfrogml.resources import VERSION_STATUSES

STATUSES = VERSION_STATUSES

# Every allowed move, explicitly. Anything else is refused with a reason: a version
# reaches production only through staging, and comes back from archive the same way.
ALLOWED_MOVES: frozenset[tuple[str, str]] = frozenset(
    {
        ("draft", "staging"),
        ("staging", "production"),
        ("staging", "draft"),
        ("production", "archived"),
        ("archived", "staging"),
    }
)


# The step up from each status: what a request for a version proposes first.
NEXT_STEP = {"draft": "staging", "staging": "production", "production": "archived", "archived": "staging"}


def next_step(from_status: str) -> str | None:
    """The move a request proposes by default (None: the status allows no move)."""
    step = NEXT_STEP.get(from_status)
    return step if step in allowed_targets(from_status) else None


def allowed_targets(from_status: str) -> list[str]:
    """The statuses a version in `from_status` may move to, in life-cycle order."""
    return [to for to in STATUSES if (from_status, to) in ALLOWED_MOVES]


def move_refusal(*, from_status: str, to_status: str) -> str | None:
    """None when the move is allowed, else a sentence saying why not."""
    if to_status not in STATUSES:
        return f"“{to_status}” is not a version status; choose one of {', '.join(STATUSES)}."
    if from_status == to_status:
        return f"The version is already {to_status}."
    if (from_status, to_status) in ALLOWED_MOVES:
        return None
    if from_status not in STATUSES:
        return f"The version's status “{from_status}” is unknown to Pond, so it cannot be moved."
    targets = allowed_targets(from_status)
    reason = f"A {from_status} version cannot move to {to_status}"
    if to_status == "production":
        reason += " (a version reaches production only from staging)"
    return f"{reason}; it may move to {' or '.join(targets)}."
