"""`make run` stays light: with the REST upstream nothing imports grpc or JFrog's SDK,
and a bad protocol setting fails at start-up, naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys, django
django.setup()
import webui.urls, webui.jfrogml.services, webui.status.poller
from webui.jfrogml.client import get_client
get_client()
loaded = sorted(m for m in sys.modules if m == "grpc" or m.startswith(("grpc.", "frogml")))
print("LOADED", loaded)
"""


def _run(code: str, tmp_path, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("JFROG_ML_", "PYTEST_"))}
    environ.update(DJANGO_SETTINGS_MODULE="webui.settings", POND_VAR_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_rest_upstream_never_imports_grpc_or_the_sdk(tmp_path):
    done = _run(PROBE, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "LOADED []" in done.stdout, done.stdout


def test_an_unknown_protocol_fails_at_start_naming_the_variable(tmp_path):
    done = _run("import django; django.setup()", tmp_path, JFROG_ML_PROTOCOL="soap")
    assert done.returncode != 0
    assert "JFROG_ML_PROTOCOL" in done.stderr


def test_grpc_without_a_jfrog_url_fails_at_start_naming_the_variable(tmp_path):
    done = _run("import django; django.setup()", tmp_path, JFROG_ML_PROTOCOL="grpc")
    assert done.returncode != 0
    assert "JFROG_ML_URL" in done.stderr
