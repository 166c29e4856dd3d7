"""Settings come from the environment; bad values stop start-up naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _django_start(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "POND_", "JFROG_ML_", "REDIS_URL", "DATABASE_URL"))}
    clean.update({"POND_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "webui.settings"})
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DJANGO_DEBUG", "maybe"),
        ("PORT", "99999"),
        ("POND_POLL_INTERVAL", "fast"),
        ("DATABASE_URL", "nosuchdb://somewhere/x"),
        ("REDIS_URL", "http://127.0.0.1:6379"),
        ("JFROG_ML_URL", "ftp://example.com/ml/api"),
        ("JFROG_ML_READ_TIMEOUT", "-1"),
        ("JFROG_ML_RETRIES", "lots"),
    ],
)
def test_a_malformed_value_stops_start_up_naming_the_variable(tmp_path, name, value):
    result = _django_start(tmp_path, **{name: value})
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert name in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_a_user_without_a_password_for_basic_auth_is_refused(tmp_path):
    result = _django_start(tmp_path, JFROG_ML_URL="https://x.jfrog.io/ml/api", JFROG_ML_USER="me")
    assert result.returncode != 0
    assert "JFROG_ML_PASSWORD" in result.stderr


def test_it_starts_with_no_environment_at_all(tmp_path):
    result = _django_start(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "POND_", "JFROG_ML_"))}
    env.update(
        POND_VAR_DIR=str(tmp_path),
        DJANGO_SECRET_KEY="x7#Qm2!vLr9@pZ4$wN8^tB1&kD6*hF3(jS5)gC0_yU-eA+oI=nM.aR",
        DJANGO_DEBUG="0",
        DJANGO_ALLOWED_HOSTS="pond.example.com",
        POND_HTTPS="1",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_env_example_lists_every_variable_the_settings_read():
    import re

    read = set(re.findall(r'env(?:str|bool|int|float|list|url|json)\("([A-Z0-9_]+)"', (ROOT / "webui/settings.py").read_text()))
    read.discard("PYTEST_XDIST_WORKER")  # set by pytest-xdist, not by people
    listed = set(re.findall(r"^([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read - listed == set()


def test_var_and_its_folders_are_owner_only_even_when_made_before(tmp_path):
    """The SQLite database (password hashes, sessions) and the broker's messages (a
    webhook URL) were 0644 in 0755 folders."""
    fresh = tmp_path / "fresh-var"
    assert _django_start(tmp_path, POND_VAR_DIR=str(fresh)).returncode == 0
    for folder in (fresh, fresh / "celery", fresh / "celery" / "queue", fresh / "celery" / "processed"):
        assert folder.stat().st_mode & 0o777 == 0o700, (folder, oct(folder.stat().st_mode))
    old = tmp_path / "old-var"
    old.mkdir(mode=0o755)
    old.chmod(0o755)
    assert _django_start(tmp_path, POND_VAR_DIR=str(old)).returncode == 0
    assert old.stat().st_mode & 0o777 == 0o700


def test_with_redis_sessions_are_cached_as_json_not_pickle(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_ENGINE, s.SESSION_CACHE_ALIAS, s.CACHES[s.SESSION_CACHE_ALIAS]['OPTIONS'].get('SERIALIZER'))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "POND_", "JFROG_ML_", "REDIS_URL"))}
    clean.update(POND_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="webui.settings", REDIS_URL="redis://127.0.0.1:6379/0")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == [
        "django.contrib.sessions.backends.cached_db", "sessions", "django_redis.serializers.json.JSONSerializer"
    ], done.stdout + done.stderr
