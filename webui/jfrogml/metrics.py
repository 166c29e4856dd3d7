"""Which way is better for a metric, and the best value of each metric across rows."""

from __future__ import annotations

import math
import re
from typing import Literal

Direction = Literal["higher", "lower"]

# Matched against the metric name split into lower-case words, so that
# "val_accuracy", "f1-score", "latency_ms" and "RMSE" are all recognised.
_HIGHER = {
    "accuracy", "acc", "f1", "f1score", "auc", "roc", "rocauc", "pr", "prauc", "precision",
    "recall", "r2", "rsquared", "map", "ndcg", "mrr", "bleu", "rouge", "rouge1", "rouge2",
    "rougel", "meteor", "iou", "miou", "dice", "sensitivity", "specificity", "throughput",
    "qps", "rps", "hit", "hitrate", "coverage", "score", "kappa", "mcc", "top1", "top5",
    "gain", "lift", "auprc", "auroc", "explained",
}
_LOWER = {
    "loss", "rmse", "mse", "mae", "mape", "smape", "rmsle", "msle", "logloss", "error",
    "errors", "err", "perplexity", "ppl", "wer", "cer", "latency", "p50", "p90", "p95",
    "p99", "duration", "time", "seconds", "ms", "memory", "size", "cost", "brier",
    "fpr", "fnr", "eer", "distance", "divergence", "kl", "crossentropy", "nll", "hamming",
}


def metric_direction(name: str) -> Direction | None:
    """'higher' or 'lower' when the name says which way is better, else None."""
    words = [w for w in re.split(r"[^a-z0-9]+", str(name).lower()) if w]
    if not words:
        return None
    joined = "".join(words)
    # Lower-is-better words win over higher ones: "error_rate", "accuracy_loss".
    for word in words + [joined]:
        if word in _LOWER or word.startswith(("latency", "error", "loss")):
            return "lower"
    for word in words + [joined]:
        if word in _HIGHER:
            return "higher"
    return None


def best_values(rows: list[dict[str, float]]) -> dict[str, float]:
    """The best finite value of each direction-known metric across rows.

    Metrics with an unknown direction, or with no finite value, are left out:
    highlighting an arbitrary "best" would mislead.
    """
    best: dict[str, float] = {}
    for row in rows:
        for name, value in (row or {}).items():
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                continue
            direction = metric_direction(name)
            if direction is None:
                continue
            current = best.get(name)
            if current is None or (value > current if direction == "higher" else value < current):
                best[name] = float(value)
    return best
