"""Production truth: which version each model serves in production, and what is wrong with it."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse

from webui.activity.observed import standing

# A deployment in one of these is (or is about to be) answering requests.
from webui.insights.selectors._shared import (
    SERVING,
    FixedLink,
    Flag,
    Link,
    _effective,
    _in_effective_status,
    _upstream_in_status,
    deployment_link,
    model_link,
    version_link,
)
from webui.insights.sources import Estate, ModelRef, VersionRef
from webui.reviews.effective import EffectiveStatus

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
