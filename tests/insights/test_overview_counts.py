"""The overview's insight counts (an inclusion tag for the dashboard's overview)."""

from __future__ import annotations

from django.template import Context, Template

from webui.dashboard.models import DeploymentResources


def _attention() -> str:
    return Template("{% load insights %}{% insights_attention %}").render(Context({}))


def test_it_counts_models_that_need_attention_and_links_to_them(registry, poll, users):
    healthy = registry.model("churn")
    live = registry.version(healthy["id"], "1.0", status="production")
    dep = registry.deployment(healthy["id"], live["id"], "churn-prod")
    DeploymentResources.objects.create(deployment_id=dep["id"], cpu="1", memory="1Gi", replicas=1)
    for name in ("fraud", "ranker", "search"):
        model = registry.model(name)
        registry.version(model["id"], "1.0", status="production")
    empty = registry.model("empty")
    assert empty
    poll()

    html = _attention()
    assert '<a href="/insights/production/?problems=1" data-testid="attention-link"><strong>3</strong> models need attention</a>' in html
    assert "<strong>1</strong> hygiene finding</a>" in html  # the model with no versions
    assert "<strong>0</strong> deployments with unknown resources</a>" in html


def test_a_healthy_estate_needs_no_attention(registry, poll, users):
    model = registry.model("churn")
    live = registry.version(model["id"], "1.0", status="production")
    registry.deployment(model["id"], live["id"], "churn-prod")
    poll()

    html = _attention()
    assert "<strong>0</strong> models need attention" in html
    assert "<strong>1</strong> deployment with unknown resources" in html


def test_the_counts_say_so_when_jfrog_ml_is_not_answering(dead_port, settings, users):
    settings.JFROG_ML_URL = f"http://127.0.0.1:{dead_port}/ml/api"
    html = _attention()
    assert "Insights are unavailable: JFrog ML is not answering" in html
