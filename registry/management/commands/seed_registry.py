"""Seed the embedded registry with realistic demo data (idempotent)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry.demo import seed_registry


def _versions_range(raw: str) -> tuple[int, int]:
    try:
        if "-" in raw:
            low, high = (int(part) for part in raw.split("-", 1))
        else:
            low = high = int(raw)
    except ValueError:
        raise CommandError(f"--versions-per-model must be N or LOW-HIGH, got {raw!r}.") from None
    if low < 0 or high < low or high > 1000:
        raise CommandError(f"--versions-per-model must be 0 ≤ LOW ≤ HIGH ≤ 1000, got {raw!r}.")
    return low, high


class Command(BaseCommand):
    help = (
        "Create demo models, versions, experiments and deployments in the embedded registry. "
        "Idempotent: names and IDs are deterministic, so a second run creates nothing new."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--models", type=int, default=12, help="Number of models (default 12).")
        parser.add_argument("--versions-per-model", default="3-10", help="N or LOW-HIGH (default 3-10).")
        parser.add_argument("--experiments", type=int, default=None, help="Number of experiments (default 2 per model).")
        parser.add_argument("--deployments", type=int, default=None, help="Number of deployments (default two thirds of the models, at most 1,000).")
        parser.add_argument("--created-by", default="pond-demo", help="created_by of the rows (default pond-demo).")
        parser.add_argument("--seed", type=int, default=7, help="Random seed (default 7).")

    def handle(self, *args, **options) -> None:
        for name in ("models", "experiments", "deployments"):
            if options[name] is not None and options[name] < 0:
                raise CommandError(f"--{name} must be 0 or more.")
        versions = options["versions_per_model"]
        started = time.monotonic()
        result = seed_registry(
            models=options["models"],
            versions_per_model=_versions_range(str(versions)),
            experiments=options["experiments"],
            deployments=options["deployments"],
            created_by=options["created_by"],
            seed=options["seed"],
        )
        self.stdout.write(
            f"Registry seeded in {time.monotonic() - started:.1f}s: created {result.models} models, "
            f"{result.versions} versions, {result.experiments} experiments, {result.deployments} deployments."
        )
