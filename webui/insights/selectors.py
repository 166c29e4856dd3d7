"""The insights: pure functions over an `Estate` (see `sources.py`), plus the two
trend reads over Pond's own records (ledger and status events).

Every finding says in words what is wrong and links to where it is fixed.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.urls import get_script_prefix, reverse

from webui.activity.observed import standing
from webui.core.converters import UpstreamIdConverter
from webui.insights.sources import Estate, ModelRef, VersionRef, shared_index
from webui.reviews.effective import EffectiveStatus, versions_effective_status

# A deployment in one of these is (or is about to be) answering requests.
SERVING = frozenset({"active", "deploying"})


@dataclass(frozen=True)
class Link:
    """A labelled link; the URL is built when shown (most links on a big estate never are)."""

    label: str
    route: str
    ids: tuple[str, ...] = ()
    query: str = ""

    @property
    def url(self) -> str:
        return url_for(self.route, *self.ids) + self.query


@dataclass(frozen=True)
class FixedLink:
    """A labelled link whose URL is known (routes that take no upstream id)."""

    label: str
    url: str


@dataclass(frozen=True)
class Flag:
    code: str
    message: str
    links: tuple[Link, ...] = ()


# --- links ------------------------------------------------------------------------------
# reverse() costs ~90 µs; a page over 10,000 models needs tens of thousands of links, so
# each route is reversed once with placeholders and filled in with the same quoting.

_SLOT = "00slot{}00"
_ID_SEGMENT = UpstreamIdConverter()
_SAFE = "!$&'()*+,;=~:@"  # what Django's reverse() leaves unquoted in a path, minus "/"


@lru_cache(maxsize=64)
def _route(name: str, slots: int, prefix: str) -> str:
    return reverse(name, args=[_SLOT.format(i) for i in range(slots)])


def url_for(name: str, *ids: str) -> str:
    url = _route(name, len(ids), get_script_prefix())
    for i, value in enumerate(ids):
        # As reverse() does: the id converter's segment, then reverse()'s own quoting.
        url = url.replace(_SLOT.format(i), quote(_ID_SEGMENT.to_url(value), safe=_SAFE), 1)
    return url


def model_link(model: ModelRef | None, model_id: str) -> Link:
    return Link(f"model {model.display_name if model else model_id}", "model_detail", (model_id,))


def version_link(version: VersionRef) -> Link:
    return Link(f"version {version.label}", "version_detail", (version.model_id, version.id))


def deployment_link(deployment: Any) -> Link:
    return Link(f"deployment {deployment.name or deployment.id}", "deployment_detail", (deployment.id,))


@lru_cache(maxsize=32)
@lru_cache(maxsize=64)
def _as_upstream_says(status: str) -> EffectiveStatus:
    return EffectiveStatus(status, "upstream", upstream_status=status)


def _effective(estate: Estate) -> Mapping[str, EffectiveStatus]:
    """Effective status of every version in the catalog, from one ledger read.

    `versions_effective_status` decides every version the ledger touched; a version
    with no applied ledger entry is what JFrog ML says (that function's first rule),
    which is taken directly so that 100,000 versions cost milliseconds, not seconds.
    """
    touched = {str(e.version_id) for e in estate.ledger}
    by_id = estate.versions_by_id
    decided = versions_effective_status(
        versions=[by_id[vid] for vid in touched if vid in by_id], ledger_entries=estate.ledger
    )
    return _Effective(by_id, decided)


def _upstream_in_status(estate: Estate, status: str) -> dict[str, list[VersionRef]]:
    """Model id -> its versions whose upstream status is `status`, in the model's order.

    Kept per model list (see `shared_index`): for a model no ledger entry touched, these
    are exactly its versions with that effective status, so the selectors need not look
    at each of 100,000 versions per page.
    """
    models = estate.models
    return shared_index(
        f"upstream-status:{status}",
        models,
        lambda: {m.id: [v for v in m.versions if v.status == status] for m in models if m.versions},
    )


def _in_effective_status(
    model: ModelRef,
    status: str,
    effective: Mapping[str, EffectiveStatus],
    index: dict[str, list[VersionRef]],
    *,
    unknown_as_upstream: bool = False,
) -> list[tuple[VersionRef, EffectiveStatus | None]]:
    """(version, effective status) of the model's versions whose effective status is
    `status`; a version `effective` does not know counts by its upstream status when
    `unknown_as_upstream`, else not at all."""
    if type(effective) is _Effective and model.id not in effective.decided_models:
        return [(v, effective.get(v.id)) for v in index.get(model.id, ())]
    found = []
    for v in model.versions or ():
        eff = effective.get(v.id)
        if (eff.status if eff is not None else (v.status if unknown_as_upstream else None)) == status:
            found.append((v, eff))
    return found


class _Effective(Mapping):
    """Version id -> EffectiveStatus for every version in `by_id`: the ledger's decision
    where it made one, else what JFrog ML says. Looked up lazily: pages read a few of
    100,000 entries, so none is built until asked for."""

    def __init__(self, by_id: dict[str, VersionRef], decided: dict[str, EffectiveStatus]) -> None:
        self._by_id = by_id
        self._decided = decided
        # Models with a version whose status the ledger decided (may differ from upstream's).
        self.decided_models = {by_id[v].model_id for v in decided if v in by_id}

    def __getitem__(self, vid: str) -> EffectiveStatus:
        found = self._decided.get(vid)
        if found is not None:
            return found
        return _as_upstream_says(self._by_id[vid].status)

    def get(self, vid: str, default: Any = None) -> Any:
        found = self._decided.get(vid)
        if found is not None:
            return found
        version = self._by_id.get(vid)
        return _as_upstream_says(version.status) if version is not None else default

    def __contains__(self, vid: object) -> bool:
        return vid in self._by_id


    def __iter__(self):
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)


# --- production truth --------------------------------------------------------------------


@dataclass(frozen=True)
class ProductionRule:
    """The settings that say how many production versions a model may have."""

    default: int
    limits: dict[str, int]

    @classmethod
    def from_settings(cls) -> ProductionRule:
        return cls(
            default=int(getattr(settings, "POND_INSIGHTS_MAX_PRODUCTION_VERSIONS", 1)),
            limits=dict(getattr(settings, "POND_INSIGHTS_PRODUCTION_LIMITS", {}) or {}),
        )

    def limit_for(self, model: ModelRef) -> tuple[int, str]:
        """The model's limit and the setting that says so: its id, else its most generous tag."""
        if not self.limits:
            return self.default, "POND_INSIGHTS_MAX_PRODUCTION_VERSIONS"
        if model.id in self.limits:
            return int(self.limits[model.id]), f"POND_INSIGHTS_PRODUCTION_LIMITS[{model.id!r}]"
        by_tag = [(int(self.limits[f"tag:{t}"]), t) for t in model.tags if f"tag:{t}" in self.limits]
        if by_tag:
            limit, tag = max(by_tag)
            return limit, f"POND_INSIGHTS_PRODUCTION_LIMITS['tag:{tag}']"
        return self.default, "POND_INSIGHTS_MAX_PRODUCTION_VERSIONS"


@dataclass(frozen=True)
class ProductionVersion:
    version: VersionRef
    effective: EffectiveStatus
    link: Link


@dataclass(frozen=True)
class ServingDeployment:
    deployment: Any
    version: VersionRef | None
    version_status: str  # effective status of the version it serves ("" if unknown)
    link: Link


@dataclass(frozen=True)
class ProductionRow:
    model: ModelRef
    link: Link
    production: list[ProductionVersion]
    deployments: list[ServingDeployment]
    flags: list[Flag]
    limit: int
    versions_known: bool

    @property
    def has_problem(self) -> bool:
        return bool(self.flags)


@dataclass(frozen=True)
class ProductionTruth:
    rows: list[ProductionRow]
    total_models: int
    problem_models: int
    flag_counts: dict[str, int]
    deployments_known: bool
    catalog_complete: bool


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _production_row(
    model: ModelRef,
    deployments: list[Any],
    effective: Mapping[str, EffectiveStatus],
    estate: Estate,
    rule: ProductionRule,
    in_production: dict[str, list[VersionRef]] | None = None,
) -> ProductionRow:
    link = model_link(model, model.id)
    if in_production is None:
        in_production = _upstream_in_status(estate, "production")
    prod = [
        ProductionVersion(v, eff, version_link(v))
        for v, eff in _in_effective_status(model, "production", effective, in_production)
    ]
    served = []
    for d in deployments:
        version = estate.versions_by_id.get(d.model_version_id or "")
        status = effective[version.id].status if version is not None and version.id in effective else ""
        served.append(ServingDeployment(d, version, status, deployment_link(d)))
    limit, limit_source = rule.limit_for(model)
    flags: list[Flag] = []
    if estate.deployments_known:
        for p in prod:
            mine = [s for s in served if s.deployment.model_version_id == p.version.id]
            if not any(s.deployment.status == "active" for s in mine):
                others: dict[str, int] = {}
                for s in mine:
                    others[s.deployment.status or "unknown"] = others.get(s.deployment.status or "unknown", 0) + 1
                detail = (
                    " (its deployments are " + ", ".join(f"{n} {s}" for s, n in sorted(others.items())) + ")"
                    if others
                    else ""
                )
                flags.append(
                    Flag(
                        "production_not_deployed",
                        f"Production version {p.version.label} has no active deployment{detail}.",
                        (p.link, *(s.link for s in mine)),
                    )
                )
            for s in mine:
                if s.deployment.status == "failed":
                    flags.append(
                        Flag(
                            "failed_behind_production",
                            f"Deployment {s.deployment.name or s.deployment.id} of production version "
                            f"{p.version.label} has failed.",
                            (s.link, p.link),
                        )
                    )
        for s in served:
            if (s.deployment.status or "") not in SERVING:
                continue
            if s.version is None and model.versions is not None:
                flags.append(
                    Flag(
                        "serving_unknown_version",
                        f"Deployment {s.deployment.name or s.deployment.id} serves version "
                        f"{s.deployment.model_version_id or '(none)'}, which this model does not have (deleted?).",
                        (s.link,),
                    )
                )
            elif s.version is not None and s.version_status in ("archived", "draft"):
                flags.append(
                    Flag(
                        f"serving_{s.version_status}",
                        f"Deployment {s.deployment.name or s.deployment.id} is {s.deployment.status} "
                        f"serving version {s.version.label}, which is {s.version_status}.",
                        (s.link, version_link(s.version)),
                    )
                )
    for v in model.versions or () if estate.observed else ():
        seen = standing(estate.observed.get(v.id), v.status)
        if seen is not None:
            flags.append(
                Flag(
                    "changed_outside_pond",
                    f"Version {v.label}: status became {v.status} outside Pond (was "
                    f"{(seen.details or {}).get('from') or 'unknown'}), first seen at {seen.created_at:%Y-%m-%d %H:%M} UTC; "
                    "no review in Pond explains it.",
                    (version_link(v),),
                )
            )
    left = estate.left_without_production.get(model.id)
    if left is not None and not prod:
        # Pond's own decision archived production and could not restore it. Once a
        # version is production again (through Pond or not), the flag is moot.
        review = (
            (FixedLink(f"review #{left.request_id}", reverse("reviews:detail", args=[left.request_id])),)
            if left.request_id
            else ()
        )
        flags.append(
            Flag(
                "without_production",
                f"Left without production by the failed rollback of "
                f"{f'review #{left.request_id}' if left.request_id else 'a direct promotion'} "
                f"at {left.finished_at or left.updated_at:%Y-%m-%d %H:%M} UTC: restoring the archived version failed.",
                (link, *review),
            )
        )
    if len(prod) > limit:
        flags.append(
            Flag(
                "too_many_production",
                f"{_plural(len(prod), 'version is', 'versions are')} in production "
                f"({', '.join(p.version.label for p in prod)}); the rule allows {limit} "
                f"({limit_source}).",
                (link, *(p.link for p in prod)),
            )
        )
    return ProductionRow(
        model=model,
        link=link,
        production=prod,
        deployments=sorted(served, key=lambda s: (s.deployment.name or "", s.deployment.id)),
        flags=flags,
        limit=limit,
        versions_known=model.versions is not None,
    )


def production_truth(estate: Estate, *, only_problems: bool = False) -> ProductionTruth:
    """One row per model: production versions by effective status, what its deployments
    serve right now, and the flags that need a person. Models with problems first."""
    effective = _effective(estate)
    by_model: dict[str, list[Any]] = defaultdict(list)
    for d in estate.deployments:
        by_model[d.model_id or ""].append(d)
    rule = ProductionRule.from_settings()
    in_production = _upstream_in_status(estate, "production")
    models = estate.models
    observed_models = {row.model_id for row in estate.observed.values()}
    if only_problems:
        # Every flag is about a production version or a deployment: a model with
        # neither has none, and its row need not be built just to be dropped.
        models = [
            m
            for m in models
            if m.id in by_model
            or m.id in estate.left_without_production
            or m.id in observed_models
            or _in_effective_status(m, "production", effective, in_production)
        ]
    rows = [_production_row(m, by_model.get(m.id, []), effective, estate, rule, in_production) for m in models]
    problems = [r for r in rows if r.has_problem]
    counts = Counter(f.code for r in rows for f in r.flags)
    shown = problems if only_problems else rows
    shown = sorted(shown, key=lambda r: (not r.has_problem, r.model.display_name.lower(), r.model.id))
    return ProductionTruth(
        rows=shown,
        total_models=len(estate.models),
        problem_models=len(problems),
        flag_counts=dict(counts),
        deployments_known=estate.deployments_known,
        catalog_complete=estate.catalog_complete,
    )


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


# --- resources ------------------------------------------------------------------------------

_CPU = re.compile(r"^(\d+(?:\.\d+)?|\.\d+)(m?)$")
_MEMORY = re.compile(r"^(\d+(?:\.\d+)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|k|K|M|G|T|P|E)?$")
_MEMORY_FACTORS = {
    None: 1,
    "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}
GIB = 2**30


def parse_cpu(value: str | None) -> float | None:
    """Cores from a Kubernetes-style quantity: "500m" → 0.5, "2" → 2.0; None if unparseable."""
    match = _CPU.match((value or "").strip())
    if not match:
        return None
    number = float(match.group(1))
    return number / 1000 if match.group(2) else number


def parse_memory(value: str | None) -> int | None:
    """Bytes from a Kubernetes-style quantity: "512Mi", "4Gi", "1G", "1048576"; None if unparseable."""
    match = _MEMORY.match((value or "").strip())
    if not match:
        return None
    number = float(match.group(1)) * _MEMORY_FACTORS[match.group(2)]
    return int(round(number)) if math.isfinite(number) else None


@dataclass(frozen=True)
class DeploymentUsage:
    deployment: Any
    model: ModelRef | None
    link: Link
    known: bool  # Pond recorded its resources at creation
    replicas: int | None
    cpu: str = ""
    memory: str = ""
    gpu: int | None = None
    cpu_total: float | None = None
    memory_total: int | None = None
    gpu_total: int | None = None
    notes: tuple[str, ...] = ()
    counted: bool = True  # False for stopped deployments (they use nothing)


@dataclass
class UsageTotal:
    key: str
    label: str
    url: str = ""
    deployments: int = 0
    unknown: int = 0
    cpu: float = 0.0
    memory: int = 0
    gpu: int = 0
    excluded: list[str] = field(default_factory=list)

    @property
    def known(self) -> int:
        """Deployments whose resources Pond recorded: a sum over none of them is unknown, not 0."""
        return self.deployments - self.unknown

    def add(self, usage: DeploymentUsage) -> None:
        self.deployments += 1
        if not usage.known:
            self.unknown += 1
            return
        if usage.cpu_total is not None:
            self.cpu += usage.cpu_total
        if usage.memory_total is not None:
            self.memory += usage.memory_total
        if usage.gpu_total is not None:
            self.gpu += usage.gpu_total
        self.excluded.extend(usage.notes)


@dataclass(frozen=True)
class ResourceReport:
    deployments: list[DeploymentUsage]
    by_model: list[UsageTotal]
    by_tag: list[UsageTotal]
    total: UsageTotal
    stopped: int


def _usage(d: Any, estate: Estate) -> DeploymentUsage:
    model = estate.models_by_id.get(d.model_id or "")
    link = deployment_link(d)
    recorded = estate.resources.get(d.id)
    counted = d.status != "stopped"
    if recorded is None:
        return DeploymentUsage(d, model, link, known=False, replicas=d.replicas, counted=counted)
    # Upstream knows the current replica count (it may have been scaled since creation).
    replicas = d.replicas if d.replicas is not None else recorded.replicas
    notes = []
    cpu_each = parse_cpu(recorded.cpu) if recorded.cpu else None
    if recorded.cpu and cpu_each is None:
        notes.append(f"cpu “{recorded.cpu}” of {d.name or d.id} is not a quantity Pond understands: not summed")
    memory_each = parse_memory(recorded.memory) if recorded.memory else None
    if recorded.memory and memory_each is None:
        notes.append(f"memory “{recorded.memory}” of {d.name or d.id} is not a quantity Pond understands: not summed")
    return DeploymentUsage(
        d,
        model,
        link,
        known=True,
        replicas=replicas,
        cpu=recorded.cpu,
        memory=recorded.memory,
        gpu=recorded.gpu,
        cpu_total=cpu_each * replicas if cpu_each is not None else None,
        memory_total=memory_each * replicas if memory_each is not None else None,
        gpu_total=recorded.gpu * replicas if recorded.gpu is not None else None,
        notes=tuple(notes),
        counted=counted,
    )


def resource_report(estate: Estate) -> ResourceReport:
    """Replicas × cpu / memory / gpu per deployment, summed per model and per tag, from
    what Pond recorded at creation; "unknown" for deployments Pond did not create.
    Stopped deployments are listed but not summed: they hold no resources."""
    usages = sorted(
        (_usage(d, estate) for d in estate.deployments),
        key=lambda u: ((u.model.display_name if u.model else u.deployment.model_id or "").lower(), u.deployment.name or ""),
    )
    by_model: dict[str, UsageTotal] = {}
    by_tag: dict[str, UsageTotal] = {}
    total = UsageTotal("*", "All deployments")
    for u in usages:
        if not u.counted:
            continue
        mid = u.deployment.model_id or ""
        if mid not in by_model:
            by_model[mid] = UsageTotal(
                mid, u.model.display_name if u.model else mid or "(no model)", url_for("model_detail", mid) if mid else ""
            )
        by_model[mid].add(u)
        for tag in u.model.tags if u.model else ():
            if tag not in by_tag:
                by_tag[tag] = UsageTotal(tag, tag, url_for("model_list") + "?tag=" + quote(tag, safe=""))
            by_tag[tag].add(u)
        total.add(u)
    return ResourceReport(
        deployments=usages,
        by_model=sorted(by_model.values(), key=lambda t: t.label.lower()),
        by_tag=sorted(by_tag.values(), key=lambda t: t.label.lower()),
        total=total,
        stopped=sum(1 for u in usages if not u.counted),
    )


# --- attention (the overview's counts) -------------------------------------------------------


@dataclass(frozen=True)
class Attention:
    problem_models: int
    hygiene_findings: int
    unknown_resources: int
    deployments_known: bool


def attention(estate: Estate) -> Attention:
    report = resource_report(estate)
    return Attention(
        problem_models=production_truth(estate, only_problems=True).problem_models,
        hygiene_findings=hygiene(estate).total,
        unknown_resources=report.total.unknown,
        deployments_known=estate.deployments_known,
    )


# --- trends -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    version_id: str
    label: str
    value: float | None
    created_at: datetime | None
    status: str
    status_source: str
    production: bool
    promoted_at: tuple[datetime, ...]
    url: str


@dataclass(frozen=True)
class MetricTrend:
    model_id: str
    metric: str
    metric_names: list[str]
    points: list[TrendPoint]

    @property
    def plotted(self) -> list[TrendPoint]:
        return [p for p in self.points if p.value is not None]


def metric_trend(*, model_id: str, versions: list[Any], metric: str, ledger_entries: list[Any]) -> MetricTrend:
    """One metric across a model's versions in creation order, production versions (by
    effective status) marked, with the dates the ledger promoted each to production.

    `versions` are the model page's full versions (with metrics): no extra upstream call.
    """
    names = sorted({n for v in versions for n in (v.metrics or {})})
    if metric not in names:
        metric = names[0] if names else ""
    effective = versions_effective_status(versions=versions, ledger_entries=ledger_entries)
    promoted: dict[str, list[datetime]] = defaultdict(list)
    for entry in ledger_entries:
        # A compensation (restoring the version a failed decision archived) is no promotion.
        compensation = bool((getattr(entry, "details", None) or {}).get("compensation"))
        if entry.to_status == "production" and getattr(entry, "applied", False) and not compensation:
            promoted[str(entry.version_id)].append(entry.created_at)
    ordered = sorted(versions, key=lambda v: (v.created_at is None, v.created_at or datetime.min, v.id))
    points = []
    for v in ordered:
        raw = (v.metrics or {}).get(metric)
        value = float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw) else None
        eff = effective.get(str(v.id))
        points.append(
            TrendPoint(
                version_id=v.id,
                label=getattr(v, "label", None) or v.version or v.id,
                value=value,
                created_at=v.created_at,
                status=eff.status if eff else (v.status or ""),
                status_source=eff.source if eff else "upstream",
                production=bool(eff and eff.status == "production"),
                promoted_at=tuple(sorted(promoted.get(str(v.id), ()))),
                url=url_for("version_detail", model_id, v.id),
            )
        )
    return MetricTrend(model_id=model_id, metric=metric, metric_names=names, points=points)


@dataclass(frozen=True)
class WeekActivity:
    start: date
    promoted: int
    failed: int


def weekly_activity(*, now: datetime, weeks: int) -> list[WeekActivity]:
    """Versions promoted to production (ledger) and deployments that failed (status
    events) per ISO week (Monday to Sunday, UTC), oldest first, this week included."""
    from webui.reviews.models import LedgerEntry
    from webui.status.models import DeploymentEvent

    today = now.astimezone(UTC).date()
    this_monday = today - timedelta(days=today.weekday())
    first = this_monday - timedelta(weeks=weeks - 1)
    since = datetime(first.year, first.month, first.day, tzinfo=UTC)
    promoted: Counter = Counter()
    for created, details in LedgerEntry.objects.filter(
        kind=LedgerEntry.APPLY,
        outcome__in=(LedgerEntry.UPSTREAM, LedgerEntry.POND),
        to_status="production",
        created_at__gte=since,
    ).values_list("created_at", "details"):
        if not (details or {}).get("compensation"):  # restoring what a failed decision archived is no promotion
            promoted[_monday(created)] += 1
    failed: Counter = Counter()
    for observed in DeploymentEvent.objects.filter(to_status="failed", observed_at__gte=since).values_list(
        "observed_at", flat=True
    ):
        failed[_monday(observed)] += 1
    return [
        WeekActivity(start=first + timedelta(weeks=i), promoted=promoted[first + timedelta(weeks=i)], failed=failed[first + timedelta(weeks=i)])
        for i in range(weeks)
    ]


def _monday(moment: datetime) -> date:
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())
