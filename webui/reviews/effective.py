"""A version's effective status: what JFrog ML says, corrected by Pond's ledger.

Where JFrog ML cannot change a version's status (it lacks the PATCH extension),
Pond records the decision and it becomes the effective status, marked as Pond's.
Where JFrog ML and the ledger disagree in a way Pond did not cause (someone
changed the status outside Pond), the upstream wins and the disagreement is flagged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from webui.jfrogml import capabilities

Source = Literal["upstream", "pond"]


@dataclass(frozen=True)
class EffectiveStatus:
    status: str
    source: Source
    disagrees: bool = False
    note: str = ""
    upstream_status: str = ""

    @property
    def pond_only(self) -> bool:
        return self.source == "pond"


def _last_applied(entries: Iterable[Any]) -> Any | None:
    applied = [e for e in entries if getattr(e, "applied", False)]
    if not applied:
        return None
    return max(applied, key=lambda e: (e.created_at, e.pk or 0))


def version_effective_status(*, version: Any, ledger_entries: Iterable[Any]) -> EffectiveStatus:
    """Decide one version's status from its upstream record and its ledger entries.

    `ledger_entries` are that version's entries in any order (others are ignored).
    """
    upstream = str(getattr(version, "status", "") or "")
    vid = str(getattr(version, "id", ""))
    last = _last_applied(e for e in ledger_entries if str(e.version_id) == vid)
    if not capabilities.current().version_status:
        return _from_ledger(last)
    if last is None:
        return EffectiveStatus(upstream, "upstream", upstream_status=upstream)

    when = f"{last.created_at:%Y-%m-%d %H:%M} UTC"
    if upstream == last.to_status:
        return EffectiveStatus(upstream, "upstream", upstream_status=upstream)
    if last.outcome == last.UPSTREAM:
        return EffectiveStatus(
            upstream,
            "upstream",
            disagrees=True,
            upstream_status=upstream,
            note=(
                f"Changed outside Pond: Pond set it to {last.to_status} on {when}, "
                f"but JFrog ML now says {upstream or 'nothing'}."
            ),
        )
    # Pond-only decision: JFrog ML is expected to still hold the status it had then.
    expected = (last.details or {}).get("upstream_before", last.from_status)
    if upstream == expected:
        return EffectiveStatus(
            last.to_status,
            "pond",
            upstream_status=upstream,
            note=(
                f"Recorded by Pond on {when}: JFrog ML cannot change a version's status "
                f"and still says {upstream}."
            ),
        )
    return EffectiveStatus(
        upstream,
        "upstream",
        disagrees=True,
        upstream_status=upstream,
        note=(
            f"Changed outside Pond: Pond recorded {last.to_status} on {when} "
            f"(JFrog ML said {expected}), but JFrog ML now says {upstream or 'nothing'}."
        ),
    )


def _from_ledger(last: Any | None) -> EffectiveStatus:
    """Where the upstream has no version status at all (the JFrog ML platform over
    gRPC), Pond's ledger is the status: a version nobody promoted is a draft."""
    if last is None:
        return EffectiveStatus(
            "draft",
            "pond",
            note="Status from Pond's ledger: no promotion recorded. The JFrog ML platform has no version status.",
        )
    return EffectiveStatus(
        last.to_status,
        "pond",
        note=(
            f"Status from Pond's ledger: {last.to_status} on {last.created_at:%Y-%m-%d %H:%M} UTC. "
            "The JFrog ML platform has no version status."
        ),
    )


def versions_effective_status(*, versions: Iterable[Any], ledger_entries: Iterable[Any]) -> dict[str, EffectiveStatus]:
    """The batch form for lists: version id → effective status, from one ledger read."""
    by_version: dict[str, list[Any]] = {}
    for entry in ledger_entries:
        by_version.setdefault(str(entry.version_id), []).append(entry)
    return {
        str(v.id): version_effective_status(version=v, ledger_entries=by_version.get(str(v.id), ()))
        for v in versions
    }
