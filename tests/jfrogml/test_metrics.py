"""Direction-aware metric comparison."""

from __future__ import annotations

import pytest

from webui.jfrogml.metrics import best_values, metric_direction


@pytest.mark.parametrize(
    "name",
    ["accuracy", "val_accuracy", "F1", "f1-score", "auc", "roc_auc", "precision", "recall", "r2", "ndcg@10", "map", "bleu", "top1_acc"],
)
def test_higher_is_better_for_quality_metrics(name):
    assert metric_direction(name) == "higher"


@pytest.mark.parametrize(
    "name",
    ["loss", "val_loss", "RMSE", "mae", "mse", "latency_ms", "latency", "p99_latency", "error_rate", "perplexity", "wer", "log_loss"],
)
def test_lower_is_better_for_errors_losses_and_latency(name):
    assert metric_direction(name) == "lower"


@pytest.mark.parametrize("name", ["epochs", "custom_thing", "", "___"])
def test_unknown_metrics_have_no_direction(name):
    assert metric_direction(name) is None


def test_best_values_pick_by_direction_and_skip_unknown_and_non_finite():
    rows = [
        {"accuracy": 0.8, "loss": 0.4, "epochs": 10, "latency_ms": float("nan")},
        {"accuracy": 0.9, "loss": 0.5, "latency_ms": 12.0},
        {"accuracy": float("inf"), "loss": True, "latency_ms": 15.0},
        {},
    ]
    assert best_values(rows) == {"accuracy": 0.9, "loss": 0.4, "latency_ms": 12.0}


def test_best_values_of_nothing_is_empty():
    assert best_values([]) == {}
