"""Every write through Pond is on the record by the person who made it, and nothing
reaches or leaves production around the review (issue: governance).

Against the live embedded registry; the activity record is read back as a person
would meet it (the model page's "by") and as a query of the record itself.
"""

from __future__ import annotations

import pytest

from webui.activity.models import Activity, ActivityImmutable

pytestmark = pytest.mark.django_db(transaction=True)


def _record(**filters) -> list[tuple[str, str, str, str]]:
    rows = Activity.objects.filter(**filters).order_by("id")
    return [(a.actor, a.action, a.object_kind, a.object_name) for a in rows]


def test_each_write_is_recorded_once_by_the_person_who_made_it(client_for, registry):
    bob = client_for("bob")
    bob.post("/models/new/", {"name": "fraud", "framework": "sklearn"})
    (model,) = registry.get("/v1/models").json()["models"]
    mid = model["id"]
    assert 'data-testid="created-by">bob<' in bob.get(f"/models/{mid}/").content.decode()  # not "pond-service"
    bob.post(f"/models/{mid}/edit/", {"name": "fraud-v2", "framework": "xgboost"})
    bob.post(f"/models/{mid}/versions/new/", {"version": "1.0.0", "metrics": "auc=0.9"})
    (version,) = registry.get(f"/v1/models/{mid}/versions").json()["versions"]
    bob.post("/experiments/new/", {"name": "sweep", "model_id": mid})
    (experiment,) = registry.get("/v1/experiments").json()["experiments"]
    bob.post(f"/experiments/{experiment['id']}/edit/", {"status": "completed"})
    bob.post(f"/experiments/{experiment['id']}/delete/")
    bob.post(f"/models/{mid}/versions/{version['id']}/delete/")
    assert _record() == [
        ("bob", "created", "model", "fraud"),
        ("bob", "edited", "model", "fraud-v2"),
        ("bob", "created", "version", "1.0.0"),
        ("bob", "created", "experiment", "sweep"),
        ("bob", "edited", "experiment", "sweep"),
        ("bob", "deleted", "experiment", "sweep"),
        ("bob", "deleted", "version", "1.0.0"),
    ]
    edit = Activity.objects.get(action="edited", object_kind="model")
    assert edit.changes == {"name": ["fraud", "fraud-v2"], "framework": ["sklearn", "xgboost"]}
    # Append-only, like the promotion ledger.
    with pytest.raises(ActivityImmutable):
        edit.save()
    with pytest.raises(ActivityImmutable):
        Activity.objects.all().delete()


def test_a_write_the_upstream_refused_leaves_no_record(client_for, registry):
    model = registry.model("dupes")
    registry.version(model["id"], "1.0.0")
    resp = client_for("bob").post(f"/models/{model['id']}/versions/new/", {"version": "1.0.0"})
    assert resp.status_code == 200 and "errorlist" in resp.content.decode()  # refused upstream, shown on the form
    assert _record() == []


def test_a_draft_is_never_deployed_by_a_side_door(client_for, registry):
    model = registry.model("credit-risk")
    draft = registry.version(model["id"], "1.2.0")
    data = {"name": "serving-draft", "model_id": model["id"], "model_version_id": draft["id"], "replicas": "1"}
    resp = client_for("bob").post(f"/deployments/new/?model={model['id']}", data)
    body = resp.content.decode()
    assert resp.status_code == 200
    assert "Version 1.2.0 is draft: only staging or production versions are deployed." in body
    assert f"/reviews/new/{model['id']}/{draft['id']}/" in body  # the way to production
    assert 'name="override_reason"' not in body  # engineers cannot override
    assert registry.get("/v1/deployments").json()["deployments"] == []
    # A reviewer may, with a written reason, which is recorded.
    carol = client_for("carol")
    assert 'name="override_reason"' in carol.get(f"/deployments/new/?model={model['id']}").content.decode()
    resp = carol.post(f"/deployments/new/?model={model['id']}", {**data, "override_reason": "hotfix canary, 1 h"})
    assert resp.status_code == 302
    (deployed,) = Activity.objects.filter(action="deployed")
    assert (deployed.actor, deployed.details["override_reason"], deployed.details["version_status"]) == (
        "carol", "hotfix canary, 1 h", "draft"
    )


def test_a_version_in_production_cannot_be_deleted_nor_its_model(client_for, registry):
    model = registry.model("credit-risk")
    prod = registry.version(model["id"], "3.0.0", status="production")
    bob = client_for("bob")
    page = bob.get(f"/models/{model['id']}/versions/{prod['id']}/delete/").content.decode()
    assert "is in production: it leaves production only through a review" in page
    assert f"/reviews/new/{model['id']}/{prod['id']}/" in page
    resp = bob.post(f"/models/{model['id']}/versions/{prod['id']}/delete/")
    assert resp.status_code == 409
    resp = bob.post(f"/models/{model['id']}/delete/", {"confirm_name": "credit-risk"})
    assert resp.status_code == 409
    assert registry.exists(f"/v1/models/{model['id']}/versions/{prod['id']}")
    assert _record() == []


def test_deleting_a_model_shows_its_blast_radius_and_stops_live_deployments_only_when_asked(client_for, registry):
    model = registry.model("energy")
    v1 = registry.version(model["id"], "1.0.0", status="staging")
    v2 = registry.version(model["id"], "2.0.0", status="archived")
    registry.deployment(model["id"], v1["id"], name="energy-live")
    old = registry.deployment(model["id"], v2["id"], name="energy-old")
    registry._send("PATCH", f"/v1/deployments/{old['id']}", {"status": "stopped"}, 200)
    registry.experiment("energy-sweep", model_id=model["id"])
    bob = client_for("bob")
    page = bob.get(f"/models/{model['id']}/delete/").content.decode()
    for text in ("1.0.0", "2.0.0", "energy-live", "energy-old", "1 experiment stays detached", 'name="stop_live"'):
        assert text in page, text
    refused = bob.post(f"/models/{model['id']}/delete/", {"confirm_name": "energy"})
    assert refused.status_code == 200
    assert "1 deployment is live: choose to stop it as part of this" in refused.content.decode()
    assert registry.exists(f"/v1/models/{model['id']}") and len(registry.get("/v1/deployments").json()["deployments"]) == 2
    done = bob.post(f"/models/{model['id']}/delete/", {"confirm_name": "energy", "stop_live": "on"})
    assert done.status_code == 302 and not registry.exists(f"/v1/models/{model['id']}")
    assert _record() == [("bob", "stopped", "deployment", "energy-live"), ("bob", "deleted", "model", "energy")]
    deleted = Activity.objects.get(action="deleted")
    assert deleted.details["deployments_stopped"] == ["energy-live"]
    assert deleted.details["experiments_detached"] == 1
    assert sorted(deleted.details["versions"]) == ["1.0.0 (staging)", "2.0.0 (archived)"]


def test_stopping_a_serving_deployment_takes_an_explicit_choice(client_for, registry):
    model = registry.model("churn")
    version = registry.version(model["id"], "1.0", status="staging")
    dep = registry.deployment(model["id"], version["id"], name="churn-live")
    bob = client_for("bob")
    refused = bob.post(f"/deployments/{dep['id']}/delete/")
    assert refused.status_code == 200 and "choose to stop it" in refused.content.decode()
    assert registry.exists(f"/v1/deployments/{dep['id']}")
    assert bob.post(f"/deployments/{dep['id']}/delete/", {"stop_live": "on"}).status_code == 302
    assert not registry.exists(f"/v1/deployments/{dep['id']}")
    assert _record() == [("bob", "stopped", "deployment", "churn-live")]


def test_deploys_scaling_and_share_links_are_on_the_record(client_for, registry):
    model = registry.model("churn")
    version = registry.version(model["id"], "1.0", status="staging")
    bob = client_for("bob")
    bob.post(
        f"/deployments/new/?model={model['id']}",
        {"name": "churn-live", "model_id": model["id"], "model_version_id": version["id"], "replicas": "1"},
    )
    (dep,) = registry.get("/v1/deployments").json()["deployments"]
    bob.post(f"/deployments/{dep['id']}/edit/", {"replicas": "3"})
    from django.contrib.auth.models import User
    from django.test import Client

    from webui.status.models import ShareLink

    dave = Client()
    dave.force_login(User.objects.create_superuser("dave-root", "root@example.com", "pw-dave-123456"))
    assert dave.post("/status/share-links/", {"label": "wall screen"}).status_code == 201
    dave.post(f"/status/share-links/{ShareLink.objects.get().pk}/revoke/", {"confirm": "yes"})
    assert _record() == [
        ("bob", "deployed", "deployment", "churn-live"),
        ("bob", "scaled", "deployment", "churn-live"),
        ("dave-root", "shared", "share link", "wall screen"),
        ("dave-root", "revoked", "share link", "wall screen"),
    ]
    assert Activity.objects.get(action="scaled").changes == {"replicas": [1, 3]}


def test_a_model_is_not_deleted_while_pond_cannot_see_its_deployments(client_for, settings):
    """With the deployment list failing and nothing cached, the page listed no deployments
    and the delete took live ones down unasked (the upstream deletes them with the model)."""
    from tests.dashboard.fake_upstream import serve_world, simple_world
    from tests.support.faultserver import FaultServer, status

    with FaultServer() as upstream:
        settings.JFROG_ML_URL = upstream.url
        world = simple_world(name="energy")
        for v in world["versions"]["mdl_1"]:
            v["status"] = "staging"
        serve_world(upstream, **world)
        upstream.on("GET", "/v1/deployments", status(503))
        upstream.on("DELETE", None, status(204))
        bob = client_for("bob")
        page = bob.get("/models/mdl_1/delete/").content.decode()
        assert "Pond cannot see this model" in page
        resp = bob.post("/models/mdl_1/delete/", {"confirm_name": "energy"})
        assert resp.status_code == 409
        assert not [r for r in upstream.requests if r.method == "DELETE"]
    assert _record() == []


def _audit_rows(client, query: str) -> list[tuple[str, str]]:
    """(event, who) of each /audit/ row, as the page shows them."""
    import re

    resp = client.get(f"/audit/?{query}")
    assert resp.status_code == 200, resp.content.decode()[:500]
    rows = resp.content.decode().split('data-testid="audit-row"')[1:]
    return [
        (re.search(r'data-event="([^"]*)"', row).group(1), re.search(r"<td>[^<]*</td><td>([^<]*)</td>", row).group(1))
        for row in rows
    ]


def test_the_audit_shows_promotions_and_activity_together_with_one_vocabulary(client_for, registry, settings):
    import csv
    import io

    from webui.reviews.models import ReviewRequest

    settings.POND_PROMOTION_RULES = []
    bob, carol = client_for("bob"), client_for("carol")
    bob.post("/models/new/", {"name": "energy-forecast", "framework": "sklearn"})
    (model,) = registry.get("/v1/models").json()["models"]
    bob.post(f"/models/{model['id']}/versions/new/", {"version": "1.0.0", "metrics": "mape=0.1"})
    (version,) = registry.get(f"/v1/models/{model['id']}/versions").json()["versions"]
    resp = bob.post(f"/reviews/new/{model['id']}/{version['id']}/", {"to_status": "staging", "note": "ready"})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    review = ReviewRequest.objects.get()
    assert carol.post(f"/reviews/{review.pk}/decide", {"decision": "approve"}).status_code == 302

    # Partial, any case: "ENERGY" finds energy-forecast; newest first, each write once.
    everything = _audit_rows(carol, "model=ENERGY")
    assert everything == [
        ("applied", "carol"),
        ("approved", "carol"),
        ("requested", "bob"),
        ("created", "bob"),
        ("created", "bob"),
    ]
    assert _audit_rows(carol, "model=energy&person=BO") == [("requested", "bob"), ("created", "bob"), ("created", "bob")]
    assert _audit_rows(carol, "model=energy&record=activity") == [("created", "bob"), ("created", "bob")]
    assert _audit_rows(carol, "model=energy&kind=approved") == [("approved", "carol")]
    assert _audit_rows(carol, "model=energy&kind=approve") == [("approved", "carol")]  # an older link's word
    assert _audit_rows(carol, "model=nothing-like-it") == []

    # The CSV names every event as the page does, in the same order.
    resp = carol.get("/audit/export.csv?model=ENERGY")
    rows = list(csv.DictReader(io.StringIO(b"".join(resp.streaming_content).decode())))
    assert [(r["event"], r["who"]) for r in rows] == everything
    created = [r for r in rows if r["record"] == "activity"]
    assert {(r["object"], r["object_name"]) for r in created} == {("model", "energy-forecast"), ("version", "1.0.0")}


def test_the_audit_pages_both_records_in_one_order(client_for, db):
    from datetime import UTC, datetime, timedelta

    from webui.activity.models import Activity
    from webui.reviews.models import LedgerEntry

    start = datetime(2026, 3, 1, tzinfo=UTC)
    for i in range(60):  # interleaved: even minutes the ledger, odd ones the activity record
        when = start + timedelta(minutes=i)
        if i % 2:
            Activity.objects.create(created_at=when, actor="bob", action="edited", object_kind="experiment",
                                    object_id="m", object_name=f"a{i}", model_id="m", model_name="m")  # fmt: skip
        else:
            LedgerEntry.objects.create(created_at=when, kind="request", actor="bob", model_id="m", model_name="m",
                                       version_id="v", version_label=f"l{i}", to_status="staging")  # fmt: skip
    carol = client_for("carol")
    first = carol.get("/audit/").content.decode()
    second = carol.get("/audit/?page=2").content.decode()
    assert first.count('data-testid="audit-row"') == 50 and second.count('data-testid="audit-row"') == 10
    assert "Page 1 of 2" in first
    # Newest first across both records: minute 59 (activity) then 58 (ledger) ... 0.
    assert first.index("a59") < first.index("l58") < first.index("a57")
    assert "l0" in second and "a59" not in second
