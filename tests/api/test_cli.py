"""`pond`, the command installed with Pond, against a running Pond over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from webui.reviews.models import ReviewRequest

POND = Path(sys.executable).with_name("pond")


def _pond(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(POND), *args], env=env, capture_output=True, text=True, timeout=timeout)


def _env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("POND_")}
    return {**clean, "POND_CONFIG": str(tmp_path / "pond.json"), "HOME": str(tmp_path)}


def test_help_is_the_documentation(tmp_path):
    done = _pond("--help", env=_env(tmp_path))
    assert done.returncode == 0
    for words in ("pond login", "promote", "--wait", "Exit status", "POND_TOKEN"):
        assert words in done.stdout
    assert "--to" in _pond("promote", "--help", env=_env(tmp_path)).stdout


def test_login_then_promote_and_wait_for_the_reviewer(live_server, token_for, churn, tmp_path, settings):
    settings.POND_API_WAIT_POLL = 0.1
    env = _env(tmp_path)
    login = _pond("login", "--url", live_server.url, "--token", token_for("eve"), env=env)
    assert login.returncode == 0, login.stderr
    assert "as eve (engineer)" in login.stdout
    assert oct((tmp_path / "pond.json").stat().st_mode & 0o777) == "0o600"
    rita = {"Authorization": f"Bearer {token_for('rita')}"}

    def approve_when_asked() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            pending = ReviewRequest.objects.filter(state="pending").first()
            if pending is not None:
                requests.post(
                    f"{live_server.url}/api/v1/reviews/{pending.pk}/decision",
                    json={"decision": "approve", "comment": "go"}, headers=rita, timeout=30,
                )  # fmt: skip
                return
            time.sleep(0.1)

    reviewer = threading.Thread(target=approve_when_asked)
    reviewer.start()
    done = _pond(
        "promote", churn["id"], churn["v2"]["id"], "--to", "production", "--note", "AUC +2%", "--wait", "--timeout", "60",
        env=env,
    )  # fmt: skip
    reviewer.join()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "approved by rita" in done.stdout
    ledger = _pond("ledger", "churn", env=env)
    assert ledger.returncode == 0 and "rita" in ledger.stdout and "eve" in ledger.stdout


def test_a_rejection_and_a_refusal_are_non_zero_with_the_reason(live_server, token_for, churn, tmp_path, settings):
    settings.POND_API_WAIT_MAX = 1
    env = {**_env(tmp_path), "POND_URL": live_server.url, "POND_TOKEN": token_for("vic")}
    refused = _pond("promote", churn["id"], churn["v2"]["id"], "--to", "production", "--note", "n", env=env)
    assert refused.returncode == 2 and "request_promotion" in refused.stderr  # a viewer may not ask
    env["POND_TOKEN"] = token_for("eve")
    waited = _pond("promote", churn["id"], churn["v2"]["id"], "--to", "production", "--note", "n", "--wait", "--timeout", "1", env=env)
    assert waited.returncode == 3, waited.stdout + waited.stderr  # nobody decided in time
    review = ReviewRequest.objects.get()
    requests.post(
        f"{live_server.url}/api/v1/reviews/{review.pk}/decision",
        json={"decision": "reject", "comment": "needs a canary"},
        headers={"Authorization": f"Bearer {token_for('rita')}"}, timeout=30,
    )  # fmt: skip
    rejected = _pond("review", str(review.pk), "--wait", env=env)
    assert rejected.returncode == 1 and "rejected by rita" in rejected.stdout and "needs a canary" in rejected.stdout
    nowhere = _pond("status", env={**env, "POND_URL": "http://127.0.0.1:9"})
    assert nowhere.returncode == 2 and "Could not reach Pond" in nowhere.stderr


def test_status_exits_non_zero_when_a_deployment_shown_is_failing(live_server, token_for, tmp_path, db):
    from django.utils import timezone

    from webui.status import document
    from webui.status.models import DeploymentState

    now = timezone.now()
    names = ["api-0", "api-1", "api-2\x1b[2J\u202eevil"]  # the last one would clear and reverse a terminal
    for i, status in enumerate(["active", "failed", "active"]):
        DeploymentState.objects.create(
            deployment_id=f"dep_{i}", name=names[i], model_id=f"mdl_{i % 2}", version_id="v", status=status,
            status_since=now, first_observed_at=now, last_observed_at=now,
        )  # fmt: skip
    document.publish()
    env = {**_env(tmp_path), "POND_URL": live_server.url, "POND_TOKEN": token_for("vic")}
    every = _pond("status", env=env)
    assert every.returncode == 1 and "FAILING" in every.stdout and "api-1" in every.stdout
    healthy = _pond("status", "mdl_0", env=env)
    assert healthy.returncode == 0 and "api-0" in healthy.stdout and "api-1" not in healthy.stdout
    assert "api-2\ufffd[2J\ufffdevil" in healthy.stdout and "\x1b" not in every.stdout + healthy.stdout
