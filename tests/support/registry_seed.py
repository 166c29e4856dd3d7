"""Fast bulk seeding of the embedded registry's tables for tests (big catalogs).

Writes through the registry's ORM models with bulk_create, keeping the derived
fields (versions_count, latest_version) true, so tests can build 1,000+ models in
well under a second instead of one HTTP call each.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def seed_models(count: int, *, versions_per_model: int = 0, prefix: str = "bulk", start: int = 0) -> list[str]:
    from registry.models import ModelVersion, RegisteredModel

    base = datetime(2025, 1, 1, tzinfo=UTC)
    frameworks = ["pytorch", "sklearn", "xgboost", "tensorflow"]
    statuses = ["draft", "staging", "production", "archived"]
    models = []
    versions = []
    for i in range(start, start + count):
        mid = f"mdl_{prefix}{i:06d}"
        created = base + timedelta(minutes=i)
        models.append(
            RegisteredModel(
                id=mid,
                name=f"{prefix}-model-{i:06d}",
                description=f"Bulk model number {i}",
                framework=frameworks[i % len(frameworks)],
                task_type="classification" if i % 2 else "regression",
                tags=[f"team-{i % 5}", "bulk"],
                latest_version=f"v{versions_per_model}" if versions_per_model else "",
                versions_count=versions_per_model,
                created_at=created,
                updated_at=created,
                created_by="seed",
            )
        )
        for v in range(1, versions_per_model + 1):
            versions.append(
                ModelVersion(
                    id=f"ver_{prefix}{i:06d}_{v}",
                    model_id=mid,
                    version=f"v{v}",
                    status=statuses[(i + v) % len(statuses)],
                    metrics={"accuracy": 0.5 + v / 100, "loss": 1.0 / v},
                    parameters={"lr": "0.01"},
                    created_at=created + timedelta(seconds=v),
                    created_by="seed",
                )
            )
    RegisteredModel.objects.bulk_create(models, batch_size=500)
    ModelVersion.objects.bulk_create(versions, batch_size=500)
    return [m.id for m in models]


def seed_experiments_and_deployments(model_ids: list[str], *, experiments_per_model: int = 2, deployments: int = 0) -> None:
    """Experiments for each model and `deployments` active deployments (of each model's v1)."""
    from registry.models import Deployment, Experiment

    base = datetime(2025, 6, 1, tzinfo=UTC)
    statuses = ["running", "completed", "failed", "cancelled"]
    experiments = [
        Experiment(
            id=f"exp_{mid[4:]}_{e}",
            name=f"{mid} run {e}",
            model_id=mid,
            status=statuses[e % 4],
            metrics={"accuracy": 0.6 + e / 100},
            parameters={"lr": str(0.01 * (e + 1))},
            created_at=base + timedelta(minutes=e),
            completed_at=None if e % 4 == 0 else base + timedelta(minutes=e + 5),
            created_by="seed",
        )
        for mid in model_ids
        for e in range(experiments_per_model)
    ]
    Experiment.objects.bulk_create(experiments, batch_size=500)
    rows = [
        Deployment(
            id=f"dep_{mid[4:]}",
            name=f"{mid}-serving",
            model_id=mid,
            model_version_id=f"ver_{mid[4:]}_1",
            status="active",
            endpoint_url=f"https://{mid}.serving.example/v1/predict",
            replicas=1,
            created_at=base,
            updated_at=base,
        )
        for mid in model_ids[:deployments]
    ]
    Deployment.objects.bulk_create(rows, batch_size=500)
