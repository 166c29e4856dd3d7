"""The overview's insight counts (webui.insights.panels.attention, shown by the overview)."""

from __future__ import annotations

from django.template.loader import render_to_string

from webui.dashboard.models import DeploymentResources
from webui.insights import panels


def _attention() -> str:
    return render_to_string("insights/_attention.html", panels.attention())


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


def test_the_overview_page_shows_the_count_linking_to_the_problems(alice, registry, poll):
    model = registry.model("fraud")
    registry.version(model["id"], "1.0", status="production")
    poll()

    html = alice.get("/").content.decode()
    assert 'href="/insights/production/?problems=1" data-testid="attention-link"><strong>1</strong> model needs attention' in html


def _counts_kept_then_a_new_problem(registry, poll, settings) -> None:
    """A healthy estate's counts, kept for a minute; then its deployment goes away (a
    problem that leaves the catalog as it was)."""
    model = registry.model("churn")
    live = registry.version(model["id"], "1.0", status="production")
    dep = registry.deployment(model["id"], live["id"], "churn-prod")
    poll()
    settings.POND_INSIGHTS_ATTENTION_SECONDS = 60.0
    assert "<strong>0</strong> models need attention" in _attention()
    gone = registry.session.delete(f"{registry.base_url}/v1/deployments/{dep['id']}", timeout=10)
    assert gone.status_code in (200, 202, 204), gone.text
    poll()


def test_the_counts_are_kept_for_the_configured_seconds(registry, poll, users, settings):
    _counts_kept_then_a_new_problem(registry, poll, settings)
    assert "<strong>0</strong> models need attention" in _attention()  # kept
    settings.POND_INSIGHTS_ATTENTION_SECONDS = 0.0
    assert "<strong>1</strong> model needs attention" in _attention()  # computed afresh


def test_a_write_through_pond_makes_the_kept_counts_due(registry, poll, users, settings):
    from webui.jfrogml import services

    _counts_kept_then_a_new_problem(registry, poll, settings)
    settings.POND_INSIGHTS_ATTENTION_AFTER_WRITE = 0.0
    assert "<strong>0</strong> hygiene findings" in _attention()  # kept...
    services.model_create(name="empty")
    html = _attention()  # ...until a write through Pond changes the catalog
    assert "<strong>1</strong> hygiene finding<" in html
    assert "<strong>1</strong> model needs attention" in html


def test_under_a_stream_of_writes_the_counts_are_made_at_most_that_often(registry, poll, users, settings):
    from webui.jfrogml import services

    _counts_kept_then_a_new_problem(registry, poll, settings)
    settings.POND_INSIGHTS_ATTENTION_AFTER_WRITE = 60.0
    services.model_create(name="empty")
    assert "<strong>0</strong> hygiene findings" in _attention()  # younger than a minute: kept
    settings.POND_INSIGHTS_ATTENTION_AFTER_WRITE = 0.0
    assert "<strong>1</strong> hygiene finding<" in _attention()


def test_while_one_process_counts_the_others_show_the_kept_counts(registry, poll, users, settings):
    from webui.jfrogml.client import upstream_namespace
    from webui.jfrogml.locks import lock

    _counts_kept_then_a_new_problem(registry, poll, settings)
    settings.POND_INSIGHTS_ATTENTION_SECONDS = 0.001  # the kept counts are due
    with lock(f"insights-attention:{upstream_namespace()}", timeout=30) as counting:
        assert counting
        assert "<strong>0</strong> models need attention" in _attention()  # not counted twice
    assert "<strong>1</strong> model needs attention" in _attention()
