"""A fallback seeder through the registry's public REST API.

Used only when the registry's own bulk seeding (`manage.py seed_registry`) is not
available, so that the harness can still be exercised end to end; it is capped to a
small data set because one HTTP call per object is far too slow for 100,000 versions.
"""

from __future__ import annotations

import random

import requests

CAP = {"models": 100, "versions_per_model": 10, "experiments": 200, "deployments": 10}
WORDS = ("fraud", "churn", "ranking", "vision", "speech", "pricing", "forecast", "search", "recsys", "triage")
FRAMEWORKS = ("pytorch", "tensorflow", "sklearn", "xgboost")
TASKS = ("classification", "regression", "nlp", "ranking")


def seed_via_api(upstream: str, token: str, sizes: dict[str, int]) -> dict[str, int]:
    """Create models, versions, experiments and deployments over HTTP; returns what was created."""
    rng = random.Random(42)
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"
    counts = {"models": 0, "versions": 0, "experiments": 0, "deployments": 0}
    models: list[tuple[str, list[str]]] = []
    for i in range(min(sizes["models"], CAP["models"])):
        word = WORDS[i % len(WORDS)]
        resp = s.post(f"{upstream}/v1/models", timeout=30, json={
            "name": f"{word}-model-{i:05d}", "description": f"Benchmark model {i}",
            "framework": rng.choice(FRAMEWORKS), "task_type": rng.choice(TASKS), "tags": [word, "bench"],
        })
        resp.raise_for_status()
        model_id = resp.json()["id"]
        counts["models"] += 1
        versions = []
        for v in range(min(sizes["versions_per_model"], CAP["versions_per_model"])):
            resp = s.post(f"{upstream}/v1/models/{model_id}/versions", timeout=30, json={
                "version": f"1.{v}.0", "status": "production" if v == 0 else "staging",
                "metrics": {"accuracy": round(rng.uniform(0.7, 0.99), 4), "loss": round(rng.uniform(0.01, 0.5), 4)},
                "parameters": {"lr": str(rng.choice((0.1, 0.01, 0.001))), "epochs": str(rng.randint(5, 50))},
            })
            resp.raise_for_status()
            versions.append(resp.json()["id"])
            counts["versions"] += 1
        models.append((model_id, versions))
    for i in range(min(sizes["experiments"], CAP["experiments"])):
        model_id = models[i % len(models)][0] if models else None
        resp = s.post(f"{upstream}/v1/experiments", timeout=30, json={
            "name": f"experiment-{i:05d}", "model_id": model_id, "parameters": {"seed": str(i)},
        })
        resp.raise_for_status()
        counts["experiments"] += 1
    for i in range(min(sizes["deployments"], CAP["deployments"], len(models))):
        model_id, versions = models[i]
        if not versions:
            continue
        resp = s.post(f"{upstream}/v1/deployments", timeout=30, json={
            "name": f"deployment-{i:04d}", "model_id": model_id, "model_version_id": versions[0], "replicas": 1,
        })
        resp.raise_for_status()
        counts["deployments"] += 1
    s.close()
    return counts
