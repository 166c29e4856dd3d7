"""Resources: what the deployments ask for, per deployment and in total."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

# A deployment in one of these is (or is about to be) answering requests.
from webui.insights.selectors._shared import (
    Link,
    deployment_link,
    url_for,
)
from webui.insights.sources import Estate, ModelRef

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
