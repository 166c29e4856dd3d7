"""Hygiene: housekeeping findings, each linking to where it is fixed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

# A deployment in one of these is (or is about to be) answering requests.
from webui.insights.selectors._shared import (
    SERVING,
    Link,
    _effective,
    _in_effective_status,
    _upstream_in_status,
    deployment_link,
    model_link,
    version_link,
)
from webui.insights.selectors.production import (
    _plural,
)
from webui.insights.sources import Estate, ModelRef, VersionRef, shared_index

# --- hygiene -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    message: str
    links: tuple[Link, ...]
    since: datetime | None = None


@dataclass(frozen=True)
class HygieneSection:
    code: str
    title: str
    explanation: str
    findings: list[Finding]
    note: str = ""


@dataclass(frozen=True)
class Hygiene:
    sections: list[HygieneSection]

    @property
    def total(self) -> int:
        return sum(len(s.findings) for s in self.sections)


def _age_text(seconds: float) -> str:
    if seconds < 60:
        return "less than a minute"
    if seconds < 3600:
        return _plural(int(seconds // 60), "minute")
    if seconds < 2 * 86400:
        return _plural(int(seconds // 3600), "hour")
    return _plural(int(seconds // 86400), "day")


def _threshold(name: str) -> float:
    return float(getattr(settings, name))


def _artifact_gaps(estate: Estate) -> list[tuple[ModelRef, VersionRef]]:
    """(model, version) of every version with an empty artifact path; kept per model list."""

    def find() -> list[tuple[ModelRef, VersionRef]]:
        return [(m, v) for m in estate.models for v in m.versions or () if not (v.artifact_path or "").strip()]

    return shared_index("artifact-gaps", estate.models, find)


def hygiene(estate: Estate) -> Hygiene:
    """Housekeeping findings, each linking to where it is fixed."""
    now = estate.now
    effective = _effective(estate)
    sections: list[HygieneSection] = []

    archived = []
    for d in estate.deployments:
        version = estate.versions_by_id.get(d.model_version_id or "")
        if version is None or (d.status or "") not in SERVING:
            continue
        if version.id in effective and effective[version.id].status == "archived":
            archived.append(
                Finding(
                    f"Deployment {d.name or d.id} ({d.status}) still serves archived version {version.label}: "
                    "stop or delete it, or deploy a current version.",
                    (deployment_link(d), version_link(version)),
                )
            )
    sections.append(
        HygieneSection(
            "archived_deployed",
            "Archived versions still deployed",
            "An archived version should not answer requests.",
            archived,
            note="" if estate.deployments_known else "Deployment status is unknown right now.",
        )
    )

    stuck_limit = _threshold("POND_INSIGHTS_STUCK_DEPLOYMENT_SECONDS")
    stuck = []
    for d in estate.deployments:
        if d.status not in ("failed", "deploying"):
            continue
        state = estate.states.get(d.id)
        # The poller saw when the status began; otherwise JFrog ML's updated_at says it.
        since = state.since if state is not None and state.status == d.status and state.since else d.updated_at
        if since is None:
            continue
        age = (now - since).total_seconds()
        if age > stuck_limit:
            stuck.append(
                Finding(
                    f"Deployment {d.name or d.id} has been {d.status} for {_age_text(age)}.",
                    (deployment_link(d),),
                    since,
                )
            )
    sections.append(
        HygieneSection(
            "stuck_deployments",
            "Deployments failed or deploying too long",
            f"Failed or deploying for longer than {_age_text(stuck_limit)} (POND_INSIGHTS_STUCK_DEPLOYMENT_SECONDS).",
            sorted(stuck, key=lambda f: f.since),
        )
    )

    exp_limit = _threshold("POND_INSIGHTS_LONG_EXPERIMENT_SECONDS")
    long_running = []
    for e in estate.experiments or ():
        if e.status != "running" or e.created_at is None:
            continue
        age = (now - e.created_at).total_seconds()
        if age > exp_limit:
            long_running.append(
                Finding(
                    f"Experiment {e.name or e.id} has been running for {_age_text(age)}: "
                    "complete, fail or cancel it.",
                    (Link(f"experiment {e.name or e.id}", "experiment_detail", (e.id,)),),
                    e.created_at,
                )
            )
    sections.append(
        HygieneSection(
            "long_experiments",
            "Experiments running too long",
            f"Running for longer than {_age_text(exp_limit)} (POND_INSIGHTS_LONG_EXPERIMENT_SECONDS).",
            sorted(long_running, key=lambda f: f.since),
            note="" if estate.experiments is not None else "Experiments are unknown right now.",
        )
    )

    without = _artifact_gaps(estate)
    no_artifact = [
        Finding(
            f"Version {v.label} of {m.display_name} has no artifact path.",
            (version_link(v), model_link(m, m.id)),
            v.created_at,
        )
        for m, v in without
    ]
    sections.append(
        HygieneSection(
            "missing_artifact",
            "Versions without an artifact path",
            "A version without an artifact cannot be deployed again or audited.",
            no_artifact,
        )
    )

    empty = [
        Finding(f"Model {m.display_name} has no versions.", (model_link(m, m.id),))
        for m in estate.models
        if (m.versions is not None and not m.versions) or (m.versions is None and m.versions_count == 0)
    ]
    sections.append(
        HygieneSection("empty_models", "Models with no versions", "Register a version or delete the model.", empty)
    )

    draft_limit = _threshold("POND_INSIGHTS_STALE_DRAFT_SECONDS")
    drafts = []
    in_draft = _upstream_in_status(estate, "draft")
    for m in estate.models:
        for v, _ in _in_effective_status(m, "draft", effective, in_draft, unknown_as_upstream=True):
            if v.created_at is None:
                continue
            age = (now - v.created_at).total_seconds()
            if age > draft_limit:
                drafts.append(
                    Finding(
                        f"Version {v.label} of {m.display_name} has been a draft for {_age_text(age)}: "
                        "request a review or delete it.",
                        (version_link(v),),
                        v.created_at,
                    )
                )
    sections.append(
        HygieneSection(
            "stale_drafts",
            "Stale drafts",
            f"Drafts older than {_age_text(draft_limit)} (POND_INSIGHTS_STALE_DRAFT_SECONDS).",
            sorted(drafts, key=lambda f: f.since),
        )
    )
    return Hygiene(sections)
