"""What the configured upstream can do, for pages and forms to offer only that.

The REST upstream (and the embedded registry) can do everything Pond offers; the
JFrog ML platform over gRPC (docs/jfrog-platform.md) has no version status (Pond's
ledger is its source), cannot rename a model, and its experiments, versions and
deployments are written by builds and `frogml`, not by Pond's forms.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Capabilities:
    kind: str  # "rest" or "grpc"
    label: str
    version_status: bool  # the upstream holds draft/staging/production
    model_rename: bool
    model_facts: bool  # framework, task type and tags
    model_create: bool
    version_write: bool  # create a version (and set its description)
    experiment_write: bool
    deployment_create: bool
    deployment_update: bool  # scale or stop


REST = Capabilities(
    kind="rest",
    label="JFrog ML REST API",
    version_status=True,
    model_rename=True,
    model_facts=True,
    model_create=True,
    version_write=True,
    experiment_write=True,
    deployment_create=True,
    deployment_update=True,
)

PLATFORM = Capabilities(
    kind="grpc",
    label="JFrog ML platform (gRPC)",
    version_status=False,
    model_rename=False,
    model_facts=False,
    model_create=True,
    version_write=False,
    experiment_write=False,
    deployment_create=False,
    deployment_update=False,
)


def current() -> Capabilities:
    """The configured upstream's (read at call time: tests change the settings)."""
    return PLATFORM if getattr(settings, "JFROG_ML_PROTOCOL", "rest") == "grpc" else REST
