"""The metrics settings refuse bad values at start-up, naming the variable; unset, a
run gets a multiprocess directory of its own under var/ and clears those of runs
that are over."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRINT_DIR = "import django; django.setup(); from django.conf import settings; print(settings.PROMETHEUS_MULTIPROC_DIR)"


def _start(var_dir: Path, code: str = PRINT_DIR, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "POND_", "JFROG_ML_", "REDIS_URL", "DATABASE_URL", "PROMETHEUS_", "PYTEST_"))
    }
    clean.update({"POND_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "webui.settings", **env})
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("name", "value"),
    [("POND_METRICS_TOKEN", "short"), ("POND_METRICS_ALLOW", "10.0.0.0/8,not-an-address")],
)
def test_a_bad_metrics_setting_stops_start_up_naming_it(tmp_path, name, value):
    result = _start(tmp_path, **{name: value})
    assert result.returncode != 0
    assert name in result.stderr and "ImproperlyConfigured" in result.stderr


def test_unset_each_run_gets_its_own_directory_and_old_ones_are_cleared(tmp_path):
    first = _start(tmp_path)
    assert first.returncode == 0, first.stderr
    first_dir = Path(first.stdout.strip())
    assert first_dir.parent == tmp_path / "prometheus" and first_dir.is_dir()
    assert first_dir.stat().st_mode & 0o777 == 0o700

    second = _start(tmp_path)
    second_dir = Path(second.stdout.strip())
    assert second_dir != first_dir and second_dir.is_dir()
    assert not first_dir.exists()  # its run is over


def test_a_set_directory_is_used_as_given(tmp_path):
    shared = tmp_path / "shared-metrics"
    result = _start(tmp_path / "var", PROMETHEUS_MULTIPROC_DIR=str(shared))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(shared) and shared.is_dir()
