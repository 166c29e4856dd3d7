"""Promotion rules: simple gates a version must pass, from settings or the database.

Pure functions over plain values: the rules engine never talks to JFrog ML. A rule
is a `RuleSpec` whatever its source, so rules written in `POND_PROMOTION_RULES` and
rules an admin made (`PromotionRule`) behave alike.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from webui.jfrogml.metrics import metric_direction
from webui.reviews.transitions import STATUSES

KINDS = ("metric_min", "metric_max", "metric_not_below_production", "requires_artifact_path")
_METRIC_KINDS = ("metric_min", "metric_max", "metric_not_below_production")
_THRESHOLD_KINDS = ("metric_min", "metric_max")


class RuleSpecError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class RuleSpec:
    kind: str
    model_id: str = ""
    tag: str = ""
    metric: str = ""
    threshold: float | None = None
    target: str = "production"
    description: str = ""
    source: str = "settings"  # "settings" or "rule #<id>"

    @classmethod
    def from_model(cls, rule: Any) -> RuleSpec:
        return cls(
            kind=rule.kind,
            model_id=rule.scope_model_id or "",
            tag=rule.scope_tag or "",
            metric=rule.metric or "",
            threshold=rule.threshold,
            target=rule.target_status or "",
            description=rule.description or "",
            source=f"rule #{rule.pk}" if rule.pk else "rule",
        )

    @classmethod
    def from_setting(cls, raw: Any, *, index: int) -> RuleSpec:
        """One item of POND_PROMOTION_RULES; raises RuleSpecError naming the field."""
        where = f"POND_PROMOTION_RULES[{index}]"
        if not isinstance(raw, Mapping):
            raise RuleSpecError(where, "each rule must be a JSON object")
        known = {"kind", "model", "model_id", "tag", "metric", "threshold", "target", "description"}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise RuleSpecError(f"{where}.{unknown[0]}", f"unknown key; use {', '.join(sorted(known))}")
        threshold = raw.get("threshold")
        if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, int | float)):
            raise RuleSpecError(f"{where}.threshold", "must be a number")
        for key in ("kind", "model", "model_id", "tag", "metric", "target", "description"):
            if key in raw and not isinstance(raw[key], str):
                raise RuleSpecError(f"{where}.{key}", "must be a string")
        spec = cls(
            kind=raw.get("kind", ""),
            model_id=raw.get("model_id", raw.get("model", "")),
            tag=raw.get("tag", ""),
            metric=raw.get("metric", ""),
            threshold=float(threshold) if threshold is not None else None,
            target=raw.get("target", "production"),
            description=raw.get("description", ""),
            source="settings",
        )
        try:
            spec.validate()
        except RuleSpecError as exc:
            raise RuleSpecError(f"{where}.{exc.field}", exc.message) from None
        return spec

    def validate(self) -> None:
        if self.kind not in KINDS:
            raise RuleSpecError("kind", f"must be one of {', '.join(KINDS)}")
        if self.kind in _METRIC_KINDS and not self.metric.strip():
            raise RuleSpecError("metric", f"a {self.kind} rule needs a metric name")
        if self.kind in _THRESHOLD_KINDS:
            if self.threshold is None:
                raise RuleSpecError("threshold", f"a {self.kind} rule needs a threshold")
            if not math.isfinite(self.threshold):
                raise RuleSpecError("threshold", "must be a finite number")
        if self.target and self.target not in STATUSES:
            raise RuleSpecError("target", f"must be empty (any move) or one of {', '.join(STATUSES)}")

    def applies_to(self, *, model_id: str, tags: Iterable[str], to_status: str) -> bool:
        if self.model_id and self.model_id != model_id:
            return False
        if self.tag and self.tag not in set(tags or ()):
            return False
        return not self.target or self.target == to_status

    def describe(self) -> str:
        if self.description:
            return self.description
        if self.kind == "metric_min":
            text = f"{self.metric} ≥ {_fmt(self.threshold)}"
        elif self.kind == "metric_max":
            text = f"{self.metric} ≤ {_fmt(self.threshold)}"
        elif self.kind == "metric_not_below_production":
            text = f"{self.metric} must not be worse than production"
        else:
            text = "an artifact path is required"
        return text


@dataclass(frozen=True)
class RuleResult:
    rule: RuleSpec
    passed: bool
    message: str

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule.describe(),
            "kind": self.rule.kind,
            "source": self.rule.source,
            "passed": self.passed,
            "message": self.message,
        }


@dataclass(frozen=True)
class RulesOutcome:
    results: list[RuleResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> list[RuleResult]:
        return [r for r in self.results if not r.passed]

    def as_json(self) -> list[dict[str, Any]]:
        return [r.as_json() for r in self.results]


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:g}"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def settings_rules(raw: Any) -> list[RuleSpec]:
    """Parse POND_PROMOTION_RULES; raises RuleSpecError naming the bad item and field."""
    if raw in (None, "", []):
        return []
    if not isinstance(raw, list):
        raise RuleSpecError("POND_PROMOTION_RULES", "must be a JSON list of rule objects")
    return [RuleSpec.from_setting(item, index=i) for i, item in enumerate(raw)]


def evaluate_rule(*, rule: RuleSpec, candidate: Any, production_versions: Iterable[Any]) -> RuleResult:
    """Check one rule against the candidate version (and production, where it compares)."""
    metrics = getattr(candidate, "metrics", None) or {}
    if rule.kind == "requires_artifact_path":
        path = (getattr(candidate, "artifact_path", "") or "").strip()
        if path:
            return RuleResult(rule, True, f"artifact path is {path}")
        return RuleResult(rule, False, "the version has no artifact path")

    value = _number(metrics.get(rule.metric))
    if value is None:
        return RuleResult(rule, False, f"the version has no numeric {rule.metric} metric")
    if rule.kind == "metric_min":
        ok = value >= (rule.threshold or 0.0)
        return RuleResult(rule, ok, f"{rule.metric} is {_fmt(value)}, needs ≥ {_fmt(rule.threshold)}")
    if rule.kind == "metric_max":
        ok = value <= (rule.threshold or 0.0)
        return RuleResult(rule, ok, f"{rule.metric} is {_fmt(value)}, needs ≤ {_fmt(rule.threshold)}")

    # metric_not_below_production: compare with the best current production value.
    direction = metric_direction(rule.metric)
    others = [
        _number((getattr(v, "metrics", None) or {}).get(rule.metric))
        for v in production_versions
        if getattr(v, "id", None) != getattr(candidate, "id", None)
    ]
    others = [o for o in others if o is not None]
    if not others:
        return RuleResult(rule, True, f"no production version has {rule.metric} to compare with")
    # Unknown direction: assume higher is better, and say so, rather than guess silently.
    lower_better = direction == "lower"
    best = min(others) if lower_better else max(others)
    ok = value <= best if lower_better else value >= best
    way = "lower" if lower_better else "higher"
    assumed = "" if direction else " (direction unknown; assumed higher is better)"
    return RuleResult(
        rule,
        ok,
        f"{rule.metric} is {_fmt(value)} against production's {_fmt(best)}; {way} is better{assumed}",
    )


def evaluate_rules(
    *,
    rules: Iterable[RuleSpec],
    model_id: str,
    tags: Iterable[str],
    to_status: str,
    candidate: Any,
    production_versions: Iterable[Any],
) -> RulesOutcome:
    """Every rule that applies to this model and move, each with its result."""
    production_versions = list(production_versions)
    tags = list(tags or ())
    results = [
        evaluate_rule(rule=rule, candidate=candidate, production_versions=production_versions)
        for rule in rules
        if rule.applies_to(model_id=model_id, tags=tags, to_status=to_status)
    ]
    return RulesOutcome(results)
