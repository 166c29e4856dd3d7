"""Serve a whole JFrog ML world from the misbehaving server (tests/support).

For data the embedded registry would never produce (hostile endpoint URLs) and
for outages of an upstream that answered before.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from tests.support.faultserver import FaultServer, json_response

NOW = "2026-01-01T12:00:00Z"


def serve_world(
    server: FaultServer,
    *,
    models: list[dict[str, Any]],
    versions: dict[str, list[dict[str, Any]]],
    experiments: list[dict[str, Any]],
    deployments: list[dict[str, Any]],
) -> None:
    server.on("GET", "/v1/models", json_response({"models": models, "total_count": len(models)}))

    def segment(upstream_id: str) -> str:
        # What a well-behaved client sends: the id percent-encoded as one path segment.
        return re.escape(quote(upstream_id, safe=""))

    for m in models:
        mid = segment(m["id"])
        server.on("GET", f"/v1/models/{mid}", json_response(m))
        server.on("GET", f"/v1/models/{mid}/versions", json_response({"versions": versions.get(m["id"], [])}))
        for v in versions.get(m["id"], []):
            server.on("GET", f"/v1/models/{mid}/versions/{segment(v['id'])}", json_response(v))
    server.on("GET", "/v1/experiments", json_response({"experiments": experiments}))
    for e in experiments:
        server.on("GET", f"/v1/experiments/{segment(e['id'])}", json_response(e))
    server.on("GET", "/v1/deployments", json_response({"deployments": deployments}))
    for d in deployments:
        server.on("GET", f"/v1/deployments/{segment(d['id'])}", json_response(d))


def simple_world(name: str = "ok-model", endpoint: str = "https://ok.example/v1/predict") -> dict[str, Any]:
    model = {"id": "mdl_1", "name": name, "framework": "sklearn", "task_type": "classification", "tags": ["t"],
             "latest_version": "1.0", "versions_count": 2, "created_at": NOW, "updated_at": NOW}
    versions = [
        {"id": "ver_1", "model_id": "mdl_1", "version": "1.0", "status": "production", "metrics": {"accuracy": 0.9},
         "parameters": {"lr": "0.1"}, "created_at": NOW},
        {"id": "ver_2", "model_id": "mdl_1", "version": "1.1", "status": "staging", "metrics": {"accuracy": 0.95},
         "parameters": {"lr": "0.2"}, "created_at": "2026-01-02T12:00:00Z"},
    ]
    experiments = [
        {"id": "exp_1", "name": "e1", "model_id": "mdl_1", "status": "running", "metrics": {"accuracy": 0.5},
         "parameters": {"lr": "0.1"}, "created_at": NOW},
        {"id": "exp_2", "name": "e2", "model_id": "mdl_1", "status": "completed", "metrics": {"accuracy": 0.7},
         "parameters": {"lr": "0.3"}, "created_at": NOW, "completed_at": "2026-01-01T13:00:00Z"},
    ]
    deployments = [
        {"id": "dep_1", "name": "d1", "model_id": "mdl_1", "model_version_id": "ver_1", "status": "active",
         "endpoint_url": endpoint, "replicas": 1, "created_at": NOW, "updated_at": NOW},
    ]
    return {"models": [model], "versions": {"mdl_1": versions}, "experiments": experiments, "deployments": deployments}


# Every page of the dashboard for `simple_world` (and its hostile twin).
PAGES = [
    "/",
    "/models/",
    "/models/?format=csv",
    "/models/mdl_1/",
    "/models/mdl_1/?format=csv",
    "/models/mdl_1/versions/ver_2/",
    "/models/mdl_1/compare/?v=ver_1&v=ver_2",
    "/models/mdl_1/compare/?v=ver_1&v=ver_2&diff=1",
    "/experiments/",
    "/experiments/exp_1/",
    "/experiments/compare/?e=exp_1&e=exp_2",
    "/deployments/",
    "/deployments/dep_1/",
]
