"""What the promotion drills share: a model in the live embedded registry, Pond's real
processes pointed at a misbehaving proxy in front of it, and deciding through the
real review form.

    world = churn_world(upstream_url)       # v1 production, v2 (and v3) staging
    with UpstreamProxy(upstream_url) as proxy:
        env = decision_env(proxy_url=proxy.url, tmp_path=tmp_path)
        with pond_server(env=env, tmp_path=tmp_path) as pond:
            session = pond.login("rita", PASSWORD)
            decide(pond, session, review.pk)
"""

from __future__ import annotations

import re
import threading
import uuid
from pathlib import Path
from typing import Any

import requests
from django.conf import settings

from tests.faults.pond_server import PondServer, drill_env
from tests.support.registry_http import StagedRegistryHttp

# Recovery settings of the drills: short, so that a drill runs in seconds.
GRACE = 1.0
INTERVAL = 1.0
# A Celery worker's or gunicorn's start on a busy 2-core machine.
STARTUP = 40.0


def churn_world(upstream_url: str, *, candidates: int = 1) -> dict[str, Any]:
    """A model with v1 in production and v2 (.. v<1+candidates>) in staging."""
    registry = StagedRegistryHttp(upstream_url)
    try:
        model = registry.model("churn")
        world: dict[str, Any] = {"id": model["id"]}
        world["v1"] = registry.version(model["id"], "v1", "production")
        for n in range(2, 2 + candidates):
            world[f"v{n}"] = registry.version(model["id"], f"v{n}", "staging", metrics={"accuracy": 0.9 + n / 100})
    finally:
        registry.close()
    return world


def status_of(upstream_url: str, model_id: str, version_id: str) -> str:
    registry = StagedRegistryHttp(upstream_url)
    try:
        resp = registry.get(f"/v1/models/{model_id}/versions/{version_id}")
        assert resp.status_code == 200, resp.text
        return resp.json()["status"]
    finally:
        registry.close()


def decision_env(*, proxy_url: str, tmp_path: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Pond (web or worker) on the proxy, as the registry's service principal, with a
    read timeout long enough that a held step holds the request, and quick recovery."""
    return drill_env(
        upstream=proxy_url,
        tmp_path=tmp_path,
        extra={
            "JFROG_ML_TOKEN": settings.REGISTRY_SERVICE_TOKEN,
            "JFROG_ML_CONNECT_TIMEOUT": "2",
            "JFROG_ML_READ_TIMEOUT": "30",
            "JFROG_ML_BREAKER_THRESHOLD": "50",
            "POND_DECISION_RECOVERY_GRACE": str(GRACE),
            "POND_DECISION_RECOVERY_INTERVAL": str(INTERVAL),
            "POND_CELERY_QUEUE": f"pond-test-{uuid.uuid4().hex[:10]}",
            "POND_LOG_LEVEL": "INFO",
            **(extra or {}),
        },
    )


def form_token(pond: PondServer, session: requests.Session, review_pk: int, *, timeout: float = 60) -> tuple[str, str]:
    """The review page's CSRF token and URL, as a reviewer's browser has them."""
    page = session.get(f"{pond.url}/reviews/{review_pk}/", timeout=timeout)
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1), page.url


def decide(pond: PondServer, session: requests.Session, review_pk: int, *, decision: str = "approve",
           comment: str = "", token: tuple[str, str] | None = None, timeout: float = 60) -> requests.Response:  # fmt: skip
    """Decide through the review page's form (CSRF token and all), as a reviewer does."""
    csrf, referer = token or form_token(pond, session, review_pk, timeout=timeout)
    return session.post(
        f"{pond.url}/reviews/{review_pk}/decide",
        data={"decision": decision, "comment": comment, "csrfmiddlewaretoken": csrf},
        headers={"Referer": referer},
        allow_redirects=False,
        timeout=timeout,
    )


class InBackground:
    """Run `decide` (or anything) in a thread; `.result` or `.error` once `.join()`ed."""

    def __init__(self, call, *args, **kwargs) -> None:
        self.result: Any = None
        self.error: BaseException | None = None

        def run() -> None:
            try:
                self.result = call(*args, **kwargs)
            except BaseException as exc:  # a killed server: the connection drops
                self.error = exc

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def join(self, timeout: float = 60) -> InBackground:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the request did not finish"
        return self
