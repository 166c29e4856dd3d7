"""The JSON form of each insight (`?format=json`): plain dicts, ISO dates, relative links."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from webui.insights.selectors import (
    DeploymentUsage,
    Finding,
    Flag,
    Hygiene,
    Link,
    ProductionRow,
    ResourceReport,
    UsageTotal,
)


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _link(link: Link) -> dict[str, str]:
    return {"label": link.label, "url": link.url}


def _flag(flag: Flag) -> dict[str, Any]:
    return {"code": flag.code, "message": flag.message, "links": [_link(x) for x in flag.links]}


def production_row(row: ProductionRow) -> dict[str, Any]:
    return {
        "model": {"id": row.model.id, "name": row.model.name, "tags": list(row.model.tags), "url": row.link.url},
        "versions_known": row.versions_known,
        "production_limit": row.limit,
        "production_versions": [
            {
                "id": p.version.id,
                "version": p.version.label,
                "status": p.effective.status,
                "source": p.effective.source,
                "upstream_status": p.effective.upstream_status,
                "note": p.effective.note,
                "url": p.link.url,
            }
            for p in row.production
        ],
        "deployments": [
            {
                "id": s.deployment.id,
                "name": s.deployment.name,
                "status": s.deployment.status,
                "version_id": s.deployment.model_version_id,
                "version": s.version.label if s.version else None,
                "version_status": s.version_status or None,
                "url": s.link.url,
            }
            for s in row.deployments
        ],
        "flags": [_flag(f) for f in row.flags],
    }


def _finding(finding: Finding) -> dict[str, Any]:
    return {"message": finding.message, "since": _iso(finding.since), "links": [_link(x) for x in finding.links]}


def hygiene(report: Hygiene) -> dict[str, Any]:
    return {
        "total": report.total,
        "sections": [
            {
                "code": s.code,
                "title": s.title,
                "explanation": s.explanation,
                "note": s.note,
                "count": len(s.findings),
                "findings": [_finding(f) for f in s.findings],
            }
            for s in report.sections
        ],
    }


def _usage(u: DeploymentUsage) -> dict[str, Any]:
    return {
        "id": u.deployment.id,
        "name": u.deployment.name,
        "status": u.deployment.status,
        "model_id": u.deployment.model_id,
        "url": u.link.url,
        "known": u.known,
        "counted": u.counted,
        "replicas": u.replicas,
        "cpu": u.cpu if u.known else None,
        "memory": u.memory if u.known else None,
        "gpu": u.gpu if u.known else None,
        "cpu_total": u.cpu_total,
        "memory_total_bytes": u.memory_total,
        "gpu_total": u.gpu_total,
        "notes": list(u.notes),
    }


def _total(t: UsageTotal) -> dict[str, Any]:
    return {
        "key": t.key,
        "label": t.label,
        "url": t.url,
        "deployments": t.deployments,
        "unknown": t.unknown,
        # null when no deployment's resources are known: a sum over nothing is not 0.
        "cpu": round(t.cpu, 6) if t.known else None,
        "memory_bytes": t.memory if t.known else None,
        "gpu": t.gpu if t.known else None,
        "excluded": list(t.excluded),
    }


def resources(report: ResourceReport) -> dict[str, Any]:
    return {
        "total": _total(report.total),
        "stopped_not_counted": report.stopped,
        "by_model": [_total(t) for t in report.by_model],
        "by_tag": [_total(t) for t in report.by_tag],
        "deployments": [_usage(u) for u in report.deployments],
    }


def freshness(value: Any) -> dict[str, Any]:
    return {
        "fetched_at": _iso(value.fetched_at),
        "age_seconds": value.age_seconds,
        "stale": value.stale,
        "error": value.error,
    }
