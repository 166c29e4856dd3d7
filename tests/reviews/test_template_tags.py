"""The tags other pages load to show promotions: `{% load reviews %}`."""

from __future__ import annotations

from datetime import UTC, datetime

from django.template import Context, Template

from webui.jfrogml.resources import ModelVersion
from webui.reviews.models import LedgerEntry, ReviewRequest


def _render(text: str, **context) -> str:
    return Template("{% load reviews %}" + text).render(Context(context))


def _pond_applied(version_id="ver_1", to="production", upstream_before="staging"):
    LedgerEntry.objects.create(
        created_at=datetime(2026, 5, 1, tzinfo=UTC), kind="apply", actor="rita", model_id="mdl_a",
        version_id=version_id, version_label="v1", from_status="staging", to_status=to, outcome="pond",
        details={"upstream_before": upstream_before},
    )


def test_version_status_shows_the_effective_status_with_pond_s_marker(db):
    _pond_applied()
    out = _render("{% version_status 'mdl_a' v %}", v=ModelVersion(id="ver_1", status="staging"))
    assert 'data-effective-status="production"' in out
    assert "recorded by Pond" in out


def test_version_status_flags_a_change_outside_pond(db):
    _pond_applied()
    out = _render("{% version_status 'mdl_a' v %}", v=ModelVersion(id="ver_1", status="archived"))
    assert 'data-effective-status="archived"' in out
    assert "changed outside Pond" in out


def test_the_batch_form_serves_a_list_from_one_query(db, django_assert_num_queries):
    _pond_applied()
    versions = [ModelVersion(id="ver_1", status="staging"), ModelVersion(id="ver_2", status="draft")]
    with django_assert_num_queries(1):
        out = _render(
            "{% effective_statuses 'mdl_a' versions as st %}{% for v in versions %}{% status_for st v %}|{% endfor %}",
            versions=versions,
        )
    first, second, _ = out.split("|")
    assert 'data-effective-status="production"' in first
    assert 'data-effective-status="draft"' in second and "recorded by Pond" not in second


def test_promotion_actions_link_to_the_request_form_or_the_pending_request(users):
    version = ModelVersion(id="ver_1", status="staging")
    out = _render("{% promotion_actions 'mdl_a' v %}", v=version, user=users["eve"])
    assert 'href="/reviews/new/mdl_a/ver_1/"' in out
    assert _render("{% promotion_actions 'mdl_a' v %}", v=version, user=users["vic"]).strip() == ""
    review = ReviewRequest.objects.create(
        model_id="mdl_a", version_id="ver_1", from_status="staging", to_status="production", note="n",
        requested_by=users["eve"], requested_by_name="eve",
    )
    out = _render("{% promotion_actions 'mdl_a' v %}", v=version, user=users["vic"])
    assert f'href="/reviews/{review.pk}/"' in out


def test_the_production_on_form_targets_the_answer_page(db):
    out = _render("{% production_on_form 'mdl_a' %}")
    assert 'action="/audit/production/mdl_a/"' in out
    assert 'name="date"' in out
