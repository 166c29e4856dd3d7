"""Realistic demo data for the embedded registry, at any scale.

Deterministic: names and IDs derive from the model index (and `seed`), so seeding
twice creates nothing new. Rows go in with bulk_create in batches, with the derived
fields (`versions_count`, `latest_version`, `updated_at`) computed up front.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from registry import ids
from registry.models import Deployment, Experiment, ModelVersion, RegisteredModel
from registry.services import endpoint_url_for

BATCH = 2000


@dataclass(frozen=True)
class _Kind:
    name: str
    framework: str
    task_type: str
    tags: tuple[str, ...]
    description: str


CATALOG = (
    _Kind("fraud-detector", "xgboost", "classification", ("payments", "risk", "realtime"), "Scores card transactions for fraud in real time."),
    _Kind("churn-predictor", "lightgbm", "classification", ("crm", "retention"), "Predicts which subscribers will cancel within 30 days."),
    _Kind("demand-forecaster", "tensorflow", "forecasting", ("supply-chain", "daily"), "Forecasts daily demand per store and product."),
    _Kind("price-estimator", "sklearn", "regression", ("pricing", "marketplace"), "Estimates a fair listing price from item attributes."),
    _Kind("support-intent", "huggingface", "nlp", ("support", "text", "transformer"), "Routes support tickets by intent."),
    _Kind("review-sentiment", "pytorch", "nlp", ("text", "reviews"), "Classifies product review sentiment."),
    _Kind("defect-vision", "pytorch", "vision", ("manufacturing", "images"), "Finds surface defects on production-line photos."),
    _Kind("product-tagger", "tensorflow", "vision", ("catalog", "images"), "Tags catalog photos with product attributes."),
    _Kind("search-ranker", "lightgbm", "ranking", ("search", "ltr"), "Re-ranks search results by predicted relevance."),
    _Kind("feed-recommender", "pytorch", "ranking", ("recsys", "personalisation"), "Ranks the home feed per user."),
    _Kind("energy-load", "xgboost", "forecasting", ("energy", "hourly"), "Forecasts hourly grid load."),
    _Kind("credit-risk", "sklearn", "classification", ("lending", "risk", "regulated"), "Estimates probability of default for loan applications."),
)

_METRICS = {
    # name: (worst, best, lower_is_better, decimals)
    "classification": {"accuracy": (0.80, 0.97, False, 4), "f1": (0.70, 0.93, False, 4), "auc": (0.82, 0.98, False, 4), "loss": (0.45, 0.08, True, 4), "latency_ms": (40.0, 9.0, True, 1)},
    "regression": {"rmse": (42.0, 11.0, True, 3), "mae": (30.0, 7.5, True, 3), "r2": (0.62, 0.91, False, 4), "latency_ms": (25.0, 6.0, True, 1)},
    "nlp": {"accuracy": (0.78, 0.94, False, 4), "f1": (0.72, 0.92, False, 4), "loss": (0.70, 0.18, True, 4), "latency_ms": (120.0, 35.0, True, 1)},
    "vision": {"top1_accuracy": (0.71, 0.91, False, 4), "top5_accuracy": (0.88, 0.99, False, 4), "map": (0.52, 0.79, False, 4), "latency_ms": (95.0, 22.0, True, 1)},
    "ranking": {"ndcg_at_10": (0.41, 0.68, False, 4), "mrr": (0.35, 0.62, False, 4), "auc": (0.70, 0.86, False, 4), "latency_ms": (30.0, 8.0, True, 1)},
    "forecasting": {"mape": (0.21, 0.06, True, 4), "rmse": (180.0, 64.0, True, 2), "smape": (0.19, 0.05, True, 4), "latency_ms": (60.0, 15.0, True, 1)},
}

_PARAMETERS = {
    "xgboost": {"max_depth": ("4", "6", "8", "10"), "eta": ("0.3", "0.1", "0.05"), "n_estimators": ("200", "400", "800"), "subsample": ("0.8", "0.9", "1.0")},
    "lightgbm": {"num_leaves": ("31", "63", "127"), "learning_rate": ("0.1", "0.05", "0.02"), "n_estimators": ("300", "600", "1200"), "feature_fraction": ("0.8", "0.9")},
    "sklearn": {"estimator": ("RandomForest", "GradientBoosting", "LogisticRegression"), "n_estimators": ("100", "300", "500"), "max_depth": ("8", "12", "None")},
    "tensorflow": {"optimizer": ("adam", "adamw", "sgd"), "learning_rate": ("0.001", "0.0005", "0.0001"), "batch_size": ("64", "128", "256"), "epochs": ("20", "40", "80")},
    "pytorch": {"optimizer": ("adamw", "sgd"), "learning_rate": ("3e-4", "1e-4", "5e-5"), "batch_size": ("32", "64", "128"), "epochs": ("10", "20", "30"), "backbone": ("resnet50", "efficientnet_b3", "vit_b16")},
    "huggingface": {"base_model": ("bert-base-uncased", "distilroberta-base", "deberta-v3-small"), "learning_rate": ("5e-5", "3e-5", "2e-5"), "epochs": ("3", "4", "5"), "max_seq_length": ("128", "256", "512")},
}

_EXPERIMENT_GOALS = ("baseline", "tuning", "feature-ablation", "bigger-model", "more-data", "regularisation", "distillation", "calibration")


@dataclass
class SeedResult:
    models: int = 0
    versions: int = 0
    experiments: int = 0
    deployments: int = 0


def _chunks(items: list[Any], size: int = BATCH) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing(model_cls: type, field: str, values: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(list(values), 500):
        found.update(model_cls.objects.filter(**{f"{field}__in": chunk}).values_list(field, flat=True))
    return found


def _model_name(index: int) -> str:
    kind = CATALOG[index % len(CATALOG)]
    return kind.name if index < len(CATALOG) else f"{kind.name}-{index // len(CATALOG):04d}"


def _metrics(rng: random.Random, task_type: str, progress: float) -> dict[str, float]:
    out = {}
    for name, (worst, best, _, decimals) in _METRICS[task_type].items():
        # Later versions tend to be better, with noise.
        quality = min(1.0, max(0.0, progress * 0.8 + rng.uniform(-0.15, 0.25)))
        out[name] = round(worst + (best - worst) * quality, decimals)
    return out


def _parameters(rng: random.Random, framework: str) -> dict[str, str]:
    params = {name: rng.choice(choices) for name, choices in _PARAMETERS[framework].items()}
    params["seed"] = str(rng.randint(1, 9999))
    return params


def _version_statuses(count: int, rng: random.Random) -> list[str]:
    """Oldest first: history archived, one production, the newest in staging or draft."""
    if count == 1:
        return ["production"]
    statuses = ["archived"] * (count - 2) + ["production", rng.choice(["staging", "draft", "staging"])]
    if count >= 4 and rng.random() < 0.5:
        statuses[-3] = "staging"
    return statuses


def _parse_range(versions_per_model: int | tuple[int, int]) -> tuple[int, int]:
    if isinstance(versions_per_model, int):
        return versions_per_model, versions_per_model
    low, high = versions_per_model
    return min(low, high), max(low, high)


@transaction.atomic
def seed_registry(
    *,
    models: int = 12,
    versions_per_model: int | tuple[int, int] = (3, 10),
    experiments: int | None = None,
    deployments: int | None = None,
    created_by: str = "pond-demo",
    seed: int = 7,
    now: datetime | None = None,
) -> SeedResult:
    """Create demo models, versions, experiments and deployments that do not exist yet.

    Defaults: 2 experiments per model and a deployment for two thirds of the models
    (at most 1,000). Returns how many rows of each kind were created.
    """
    now = now or timezone.now()
    low, high = _parse_range(versions_per_model)
    experiments = models * 2 if experiments is None else experiments
    deployments = min(1000, (models * 2 + 2) // 3) if deployments is None else deployments
    result = SeedResult()
    # Spread creation over the past year (at most a day per model apart).
    span = timedelta(days=365)
    step = min(timedelta(days=1), span / max(models, 1))
    start = now - step * models - timedelta(days=2)

    names = [_model_name(i) for i in range(models)]
    taken_names = _existing(RegisteredModel, "name", names)
    # version labels of each seeded model, oldest first, for deployments below
    plans: list[tuple[str, _Kind, list[tuple[str, str]]]] = []
    new_models: list[RegisteredModel] = []
    new_versions: list[ModelVersion] = []
    for index, name in enumerate(names):
        kind = CATALOG[index % len(CATALOG)]
        rng = random.Random(f"{seed}:{index}")
        count = rng.randint(low, high) if high > 0 else 0
        model_id = ids.stable_id(ids.MODEL, name)
        statuses = _version_statuses(count, rng) if count else []
        labels = [f"{1 + k // 4}.{k % 4}.0" for k in range(count)]
        plans.append((model_id, kind, [(ids.stable_id(ids.VERSION, f"{name}:{label}"), status) for label, status in zip(labels, statuses, strict=True)]))
        if name in taken_names:
            continue
        created = start + step * index
        version_times = [created + timedelta(hours=6 * (k + 1)) + timedelta(minutes=rng.randint(0, 300)) for k in range(count)]
        for k, label in enumerate(labels):
            new_versions.append(
                ModelVersion(
                    id=ids.stable_id(ids.VERSION, f"{name}:{label}"),
                    model_id=model_id,
                    version=label,
                    description=f"{kind.description.split('.')[0]} — {label}.",
                    status=statuses[k],
                    artifact_path=f"ml-models/{name}/{label}/model.{ 'pkl' if kind.framework == 'sklearn' else 'tar.gz'}",
                    metrics=_metrics(rng, kind.task_type, (k + 1) / count),
                    parameters=_parameters(rng, kind.framework),
                    created_at=version_times[k],
                    created_by=created_by,
                )
            )
        new_models.append(
            RegisteredModel(
                id=model_id,
                name=name,
                description=kind.description,
                framework=kind.framework,
                task_type=kind.task_type,
                tags=list(kind.tags),
                latest_version=labels[-1] if labels else "",
                versions_count=count,
                created_at=created,
                updated_at=version_times[-1] if count else created,
                created_by=created_by,
            )
        )
    for chunk in _chunks(new_models):
        RegisteredModel.objects.bulk_create(chunk)
    for chunk in _chunks(new_versions):
        ModelVersion.objects.bulk_create(chunk)
    result.models, result.versions = len(new_models), len(new_versions)

    # Only models this seeding owns (a same-named model made by hand has another ID).
    seeded = _existing(RegisteredModel, "id", [plan[0] for plan in plans])
    owned = [plan for plan in plans if plan[0] in seeded]
    if owned:
        result.experiments = _seed_experiments(owned, experiments, seed, now, created_by)
        result.deployments = _seed_deployments(owned, deployments, seed, now, created_by)
    if result.models or result.versions or result.experiments or result.deployments:
        _analyze(RegisteredModel, ModelVersion, Experiment, Deployment)
    return result


def _analyze(*tables: type) -> None:
    """Give the query planner the tables' new sizes. Without it PostgreSQL (until autovacuum
    gets round to it) plans a page of 10,000 freshly seeded models as a sort of the whole
    table instead of a walk of the created_at index."""
    if connection.vendor not in ("postgresql", "sqlite"):
        return
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _seed_experiments(plans: list, count: int, seed: int, now: datetime, created_by: str) -> int:
    wanted = {ids.stable_id(ids.EXPERIMENT, f"demo-experiment:{j}"): j for j in range(count)}
    have = _existing(Experiment, "id", wanted)
    rows = []
    for experiment_id, j in wanted.items():
        if experiment_id in have:
            continue
        model_id, kind, _ = plans[j % len(plans)]
        rng = random.Random(f"{seed}:exp:{j}")
        # Recent experiments are the ones still running.
        age = timedelta(hours=(count - j) * 3 + rng.randint(0, 120))
        created = now - min(age, timedelta(days=360))
        status = "running" if j >= count - max(1, count // 6) and rng.random() < 0.7 else rng.choice(
            ["completed"] * 6 + ["failed"] * 2 + ["cancelled"]
        )
        if j < 4:  # every status appears, whatever the size
            status = ("running", "completed", "failed", "cancelled")[j]
        finished = status != "running"
        metrics = _metrics(rng, kind.task_type, rng.random())
        if status == "failed":
            metrics = dict(list(metrics.items())[:1])
        rows.append(
            Experiment(
                id=experiment_id,
                name=f"{kind.name}-{rng.choice(_EXPERIMENT_GOALS)}-{j:05d}",
                description=f"Experiment on {kind.name}: {rng.choice(_EXPERIMENT_GOALS).replace('-', ' ')}.",
                model_id=model_id,
                status=status,
                metrics=metrics if status != "running" or rng.random() < 0.5 else {},
                parameters=_parameters(rng, kind.framework),
                created_at=created,
                completed_at=created + timedelta(minutes=rng.randint(12, 600)) if finished else None,
                created_by=created_by,
            )
        )
    for chunk in _chunks(rows):
        Experiment.objects.bulk_create(chunk)
    return len(rows)


def _seed_deployments(plans: list, count: int, seed: int, now: datetime, created_by: str) -> int:
    candidates = [plan for plan in plans if plan[2]][:count]
    wanted = {ids.stable_id(ids.DEPLOYMENT, f"demo-deployment:{plan[0]}"): plan for plan in candidates}
    have = _existing(Deployment, "id", wanted)
    existing_versions = _existing(ModelVersion, "id", [v for plan in candidates for v, _ in plan[2]])
    rows = []
    for position, (deployment_id, (model_id, kind, versions)) in enumerate(wanted.items()):
        if deployment_id in have:
            continue
        served = next((v for v, status in reversed(versions) if status == "production"), versions[-1][0])
        if served not in existing_versions:
            continue
        rng = random.Random(f"{seed}:dep:{position}")
        # Mostly active; the first four cover every status, whatever the size.
        status = ("active", "deploying", "failed", "stopped")[position] if position < 4 else rng.choice(
            ["active"] * 12 + ["deploying", "failed", "stopped", "stopped"]
        )
        created = now - timedelta(days=rng.randint(1, 90), minutes=rng.randint(0, 1440))
        if status == "deploying":
            updated = now - timedelta(seconds=rng.randint(30, 600))
        else:
            updated = created + (now - created) * rng.uniform(0.01, 0.9)
        suffix = "prod" if rng.random() < 0.8 else "canary"
        name = f"{kind.name}-{suffix}" if position < len(CATALOG) else f"{kind.name}-{position:04d}-{suffix}"
        rows.append(
            Deployment(
                id=deployment_id,
                name=name,
                model_id=model_id,
                model_version_id=served,
                status=status,
                # A seeded rollout finishes a couple of minutes after seeding.
                activates_at=now + timedelta(seconds=120) if status == "deploying" else None,
                endpoint_url=endpoint_url_for(name=name, deployment_id=deployment_id),
                replicas=rng.choice([1, 2, 2, 3, 4, 6]),
                resources={"cpu": rng.choice(["500m", "1", "2", "4"]), "memory": rng.choice(["1Gi", "2Gi", "4Gi", "8Gi"]), "gpu": 1 if kind.task_type in ("vision", "nlp") else 0},
                created_at=created,
                updated_at=updated,
                created_by=created_by,
            )
        )
    for chunk in _chunks(rows):
        Deployment.objects.bulk_create(chunk)
    return len(rows)
