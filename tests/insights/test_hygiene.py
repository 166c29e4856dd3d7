"""/insights/hygiene/: each kind of leftover built for real, found with the right words
and a link to where it is fixed; a tidy estate shows nothing."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from webui.jfrogml import services

URL = "/insights/hygiene/"


def _section(payload: dict, code: str) -> dict:
    return next(s for s in payload["sections"] if s["code"] == code)


def _backdate(model, object_id: str, **when) -> None:
    """Age an upstream object in the registry's own storage, as the bulk seeder writes it
    (the API cannot create the past)."""
    model.objects.filter(pk=object_id).update(**when)


def test_a_tidy_estate_has_no_findings(alice, registry, poll):
    model = registry.model("churn")
    live = registry.version(model["id"], "1.0", status="production")
    registry.version(model["id"], "1.1")  # a fresh draft is fine
    registry.deployment(model["id"], live["id"], "churn-prod")
    exp = registry.experiment("tune", model_id=model["id"])
    registry._send("PATCH", f"/v1/experiments/{exp['id']}", {"status": "completed"}, 200)
    poll()

    payload = alice.get(URL + "?format=json").json()
    assert payload["total"] == 0, payload
    html = alice.get(URL).content.decode()
    assert "<strong>0</strong> findings." in html
    assert 'data-testid="finding"' not in html


def test_it_finds_an_archived_version_still_deployed(alice, registry, poll):
    model = registry.model("churn")
    old = registry.version(model["id"], "0.9", status="staging")
    dep = registry.deployment(model["id"], old["id"], "churn-legacy")
    registry.set_version_status(model["id"], old["id"], "production")
    registry.set_version_status(model["id"], old["id"], "archived")
    poll()

    [finding] = _section(alice.get(URL + "?format=json").json(), "archived_deployed")["findings"]
    assert finding["message"] == (
        "Deployment churn-legacy (active) still serves archived version 0.9: "
        "stop or delete it, or deploy a current version."
    )
    assert [link["url"] for link in finding["links"]] == [
        reverse("deployment_detail", args=[dep["id"]]),
        reverse("version_detail", args=[model["id"], old["id"]]),
    ]
    assert "still serves archived version 0.9" in alice.get(URL).content.decode()


def test_it_finds_deployments_failed_or_deploying_for_longer_than_the_threshold(alice, registry, poll, settings):
    from webui.status.poller import poll as run_poll

    model = registry.model("churn")
    version = registry.version(model["id"], "1.0", status="production")
    broken = registry.deployment(model["id"], version["id"], "churn-broken")
    registry.set_deployment_status(broken["id"], "failed")
    settings.REGISTRY_DEPLOY_DELAY = 3600.0
    slow = registry.deployment(model["id"], version["id"], "churn-slow")
    # The poller first saw both in these statuses two hours ago ...
    assert run_poll(force=True, now=timezone.now() - timedelta(hours=2)).polled
    fresh = registry.deployment(model["id"], version["id"], "churn-fresh")
    registry.set_deployment_status(fresh["id"], "failed")
    poll()  # ... and the third just now: within the 30-minute default, not a finding.

    findings = _section(alice.get(URL + "?format=json").json(), "stuck_deployments")["findings"]
    assert sorted(f["message"] for f in findings) == [
        "Deployment churn-broken has been failed for 2 hours.",
        "Deployment churn-slow has been deploying for 2 hours.",
    ]
    urls = {f["links"][0]["url"] for f in findings}
    assert urls == {reverse("deployment_detail", args=[broken["id"]]), reverse("deployment_detail", args=[slow["id"]])}

    settings.POND_INSIGHTS_STUCK_DEPLOYMENT_SECONDS = 3 * 3600.0
    assert _section(alice.get(URL + "?format=json").json(), "stuck_deployments")["findings"] == []


def test_it_finds_experiments_running_for_longer_than_the_threshold(alice, registry, poll):
    from registry.models import Experiment

    model = registry.model("churn")
    old = registry.experiment("grid-search", model_id=model["id"])
    registry.experiment("quick-try", model_id=model["id"])
    _backdate(Experiment, old["id"], created_at=timezone.now() - timedelta(days=4, hours=1))
    poll()

    [finding] = _section(alice.get(URL + "?format=json").json(), "long_experiments")["findings"]
    assert finding["message"] == "Experiment grid-search has been running for 4 days: complete, fail or cancel it."
    assert finding["links"][0]["url"] == reverse("experiment_detail", args=[old["id"]])


def test_it_finds_versions_without_an_artifact_path(alice, registry, poll, upstream_url):
    model = registry.model("churn")
    registry.version(model["id"], "1.0")
    # Created through Pond, so Pond holds its details without asking JFrog ML again.
    bare = services.version_create(model_id=model["id"], version="1.1", artifact_path="")
    poll()

    section = _section(alice.get(URL + "?format=json").json(), "missing_artifact")
    assert [f["message"] for f in section["findings"]] == ["Version 1.1 of churn has no artifact path."]
    assert section["findings"][0]["links"][0]["url"] == reverse("version_detail", args=[model["id"], bare.id])
    assert section["note"] == ""


def test_a_version_created_elsewhere_without_an_artifact_path_is_found_too(alice, registry, poll):
    model = registry.model("churn")
    bare = registry.version(model["id"], "1.0", artifact_path="")
    poll()

    section = _section(alice.get(URL + "?format=json").json(), "missing_artifact")
    assert [f["message"] for f in section["findings"]] == ["Version 1.0 of churn has no artifact path."]
    assert section["findings"][0]["links"][0]["url"] == reverse("version_detail", args=[model["id"], bare["id"]])


def test_it_finds_models_with_no_versions(alice, registry, poll):
    empty = registry.model("empty-shell")
    full = registry.model("churn")
    registry.version(full["id"], "1.0")
    poll()

    [finding] = _section(alice.get(URL + "?format=json").json(), "empty_models")["findings"]
    assert finding["message"] == "Model empty-shell has no versions."
    assert finding["links"][0]["url"] == reverse("model_detail", args=[empty["id"]])


def test_it_finds_drafts_older_than_the_threshold(alice, registry, poll, settings):
    from registry.models import ModelVersion

    model = registry.model("churn")
    stale = registry.version(model["id"], "0.1")
    registry.version(model["id"], "0.2")
    _backdate(ModelVersion, stale["id"], created_at=timezone.now() - timedelta(days=45))
    poll()

    [finding] = _section(alice.get(URL + "?format=json").json(), "stale_drafts")["findings"]
    assert finding["message"] == "Version 0.1 of churn has been a draft for 45 days: request a review or delete it."
    assert finding["links"][0]["url"] == reverse("version_detail", args=[model["id"], stale["id"]])
    html = alice.get(URL).content.decode()
    assert "has been a draft for 45 days" in html

    settings.POND_INSIGHTS_STALE_DRAFT_SECONDS = 60 * 86400.0
    assert _section(alice.get(URL + "?format=json").json(), "stale_drafts")["findings"] == []


def test_a_long_section_shows_its_first_findings_and_all_of_them_on_asking(alice, registry, poll):
    from webui.insights.views import FINDINGS_SHOWN

    model = registry.model("churn")
    for i in range(FINDINGS_SHOWN + 3):
        registry.version(model["id"], f"1.{i}", artifact_path="")
    poll()

    page = alice.get(URL).content.decode()
    section = page.split('data-testid="hygiene-missing_artifact"', 1)[1].split("</section>", 1)[0]
    assert section.count('data-testid="finding"') == FINDINGS_SHOWN
    assert f'href="?all=missing_artifact#h-missing_artifact" data-testid="show-all-findings">Show all {FINDINGS_SHOWN + 3}</a>' in section
    everything = alice.get(URL + "?all=missing_artifact").content.decode()
    section = everything.split('data-testid="hygiene-missing_artifact"', 1)[1].split("</section>", 1)[0]
    assert section.count('data-testid="finding"') == FINDINGS_SHOWN + 3
    assert "show-all-findings" not in section
    assert len(_section(alice.get(URL + "?format=json").json(), "missing_artifact")["findings"]) == FINDINGS_SHOWN + 3


def test_asking_for_all_of_an_unknown_section_is_a_400_naming_the_field(alice, registry, poll):
    resp = alice.get(URL + "?all=<script>")
    assert resp.status_code == 400
    body = resp.content.decode()
    assert "all" in body and "<script>" not in body
