"""Fixtures of the security suite: one user per role, a share-link holder, upstream data.

The roles are those of `webui.core.roles` (groups); the admin is made the way
`seed_demo` makes one (superuser and in the admin group), because that is the
admin Pond ships. Upstream data lives in the embedded registry, created over its
real HTTP API (`tests.dashboard.conftest.Registry`).

The URL x role matrix test writes its table to tests/artifacts/; the terminal
summary prints it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from tests.dashboard.conftest import Registry
from tests.support.isolation import forget_catalog_memo, own_file_cache, quick_upstream
from webui.core.roles import ensure_roles

PASSWORD = "correct horse battery staple"
ROLE_USERS = {"viewer": "alice", "engineer": "bob", "reviewer": "carol", "admin": "dave"}
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

MATRIX_FILE = "access-matrix.txt"


@pytest.fixture(autouse=True)
def _isolated_upstream_state(settings, tmp_path) -> Iterator[None]:
    """A cache of this test's own and short upstream timeouts (see tests/dashboard/conftest.py)."""
    own_file_cache(settings, tmp_path)
    quick_upstream(settings, read_timeout=3.0)
    forget_catalog_memo()
    yield
    forget_catalog_memo()


@pytest.fixture
def role_users(db) -> dict[str, User]:
    ensure_roles()  # transactional tests flush the groups the migration made
    made = {}
    for role, name in ROLE_USERS.items():
        user = User.objects.create_user(name, f"{name}@example.com", PASSWORD)
        user.groups.add(Group.objects.get(name=role))
        if role == "admin":
            user.is_staff = user.is_superuser = True
            user.save()
        made[role] = user
    return made


@pytest.fixture
def client_as(role_users) -> Callable[..., Client]:
    """`client_as("engineer")`: a logged-in client; "anonymous" and "share" are not logged in."""
    from webui.status.access import share_link_create

    def make(role: str, *, enforce_csrf: bool = False) -> Client:
        client = Client(enforce_csrf_checks=enforce_csrf)
        if role == "share":
            _, token = share_link_create(label="security suite")
            resp = client.get(f"/status/s/{token}/")
            assert resp.status_code == 302, resp.status_code
        elif role != "anonymous":
            client.force_login(role_users[role])
        return client

    return make


@pytest.fixture
def registry(upstream_url) -> Iterator[Registry]:
    reg = Registry(upstream_url)
    yield reg
    reg.session.close()


@pytest.fixture
def world(registry, role_users, settings) -> dict[str, str]:
    from webui.api.tokens import token_create
    from webui.reviews import services as reviews
    from webui.status import poller
    from webui.status.access import share_link_create
    from webui.status.models import Incident, MaintenanceWindow, StatusSubscription

    model = registry.model("matrix")
    v1 = registry.version(model["id"], "1.0")
    v2 = registry.version(model["id"], "1.1")
    e1 = registry.experiment("exp-a", model_id=model["id"])
    e2 = registry.experiment("exp-b", model_id=model["id"])
    dep = registry.deployment(model["id"], v1["id"], name="matrix-prod")
    review = reviews.promotion_request_create(
        user=role_users["engineer"], model_id=model["id"], version_id=v2["id"], to_status="staging", note="please"
    )
    assert poller.poll(force=True).polled  # so that the badge and bar exist
    link, token = share_link_create(label="matrix")
    api_token, _ = token_create(user=role_users["engineer"], name="matrix")
    subscription = StatusSubscription.objects.create(
        label="matrix", format="json", url="https://hooks.example/matrix", created_by="admin", created_at=timezone.now()
    )
    incident = Incident.objects.create(
        deployment_id=dep["id"], deployment_name="matrix-prod", model_id=model["id"], version_id=v1["id"],
        status="failed", started_at=timezone.now(), opened_by_sequence=999,
    )
    window = MaintenanceWindow.objects.create(
        scope="deployment", target_id=dep["id"], starts_at=timezone.now() + timedelta(days=1),
        ends_at=timezone.now() + timedelta(days=1, hours=1), created_by="admin", created_at=timezone.now(),
    )
    return {
        "m": model["id"], "v": v1["id"], "v2": v2["id"], "e": e1["id"], "e2": e2["id"], "d": dep["id"],
        "review": str(review.pk), "token": token, "link": str(link.pk), "api_token": str(api_token.pk),
        "subscription": str(subscription.pk), "maintenance": str(window.pk), "incident": str(incident.pk),
    }  # fmt: skip


def snapshot(registry) -> dict:
    """Everything a forged write could change: upstream data and Pond's own rows."""
    from webui.api.models import ApiToken
    from webui.reviews.models import LedgerEntry, ReviewRequest
    from webui.status.models import (
        Incident,
        IncidentUpdate,
        MaintenanceWindow,
        ShareLink,
        StatusSubscription,
    )

    models = registry.get("/v1/models").json()["models"]
    return {
        "models": sorted((m["id"], m["name"], m.get("description")) for m in models),
        "versions": sorted(
            (v["id"], v["status"], v.get("description"))
            for m in models
            for v in registry.get(f"/v1/models/{m['id']}/versions").json()["versions"]
        ),
        "experiments": sorted((e["id"], e["name"]) for e in registry.get("/v1/experiments").json()["experiments"]),
        "deployments": sorted(
            (d["id"], d["name"], d.get("replicas")) for d in registry.get("/v1/deployments").json()["deployments"]
        ),
        "reviews": list(ReviewRequest.objects.order_by("pk").values_list("pk", "state")),
        "ledger": LedgerEntry.objects.count(),
        "links": list(ShareLink.objects.order_by("pk").values_list("pk", "revoked_at")),
        "subscriptions": list(StatusSubscription.objects.order_by("pk").values_list("pk", "disabled_at")),
        "maintenance": list(MaintenanceWindow.objects.order_by("pk").values_list("pk", "cancelled_at")),
        "incidents": list(Incident.objects.order_by("pk").values_list("pk", "acknowledged_by")),
        "incident_updates": IncidentUpdate.objects.count(),
        "api_tokens": list(ApiToken.objects.order_by("pk").values_list("pk", "revoked_at")),
        "users": list(User.objects.order_by("pk").values_list("username", "password", "is_active")),
    }

