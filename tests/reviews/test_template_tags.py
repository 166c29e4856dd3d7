"""What other pages show of promotions: `webui.reviews.selectors.version_promotions`
and the batch statuses (the data, read by the views), rendered by the reviews partials
and the `{% load reviews %}` formatting tags (which read nothing)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.template import Context, Template
from django.template.loader import render_to_string

from webui.jfrogml.resources import ModelVersion
from webui.reviews.effective import versions_effective_status
from webui.reviews.models import LedgerEntry, ReviewRequest
from webui.reviews.selectors import ledger_for_versions, version_promotions


def _badge(status) -> str:
    return Template("{% load reviews %}{% effective_badge s %}").render(Context({"s": status}))


def _pond_applied(version_id="ver_1", to="production", upstream_before="staging"):
    LedgerEntry.objects.create(
        created_at=datetime(2026, 5, 1, tzinfo=UTC), kind="apply", actor="rita", model_id="mdl_a",
        version_id=version_id, version_label="v1", from_status="staging", to_status=to, outcome="pond",
        details={"upstream_before": upstream_before},
    )


def test_a_version_s_effective_status_shows_pond_s_marker(db):
    _pond_applied()
    out = _badge(version_promotions(model_id="mdl_a", version=ModelVersion(id="ver_1", status="staging")).status)
    assert 'data-effective-status="production"' in out
    assert "recorded by Pond" in out


def test_a_version_s_effective_status_flags_a_change_outside_pond(db):
    _pond_applied()
    out = _badge(version_promotions(model_id="mdl_a", version=ModelVersion(id="ver_1", status="archived")).status)
    assert 'data-effective-status="archived"' in out
    assert "changed outside Pond" in out


def test_a_version_page_reads_its_ledger_once_for_status_and_history(db, django_assert_num_queries):
    _pond_applied()
    with django_assert_num_queries(2):  # the version's ledger, the pending request
        promotions = version_promotions(model_id="mdl_a", version=ModelVersion(id="ver_1", status="staging"))
    assert promotions.status.status == "production"
    assert [e.kind for e in promotions.history] == ["apply"]
    assert promotions.pending is None


def test_the_batch_form_serves_a_list_from_one_query(db, django_assert_num_queries):
    _pond_applied()
    versions = [ModelVersion(id="ver_1", status="staging"), ModelVersion(id="ver_2", status="draft")]
    with django_assert_num_queries(1):
        statuses = versions_effective_status(versions=versions, ledger_entries=ledger_for_versions(model_id="mdl_a"))
    out = Template("{% load reviews %}{% for v in versions %}{% status_for st v %}|{% endfor %}").render(
        Context({"st": statuses, "versions": versions})
    )
    first, second, _ = out.split("|")
    assert 'data-effective-status="production"' in first
    assert 'data-effective-status="draft"' in second and "recorded by Pond" not in second


def _actions(version, user) -> str:
    promotions = version_promotions(model_id="mdl_a", version=version)
    return render_to_string(
        "reviews/_promotion_actions.html",
        {"model_id": "mdl_a", "version": version, "pending": promotions.pending,
         "can_request": user.has_perm("dashboard.request_promotion")},
    )  # fmt: skip


def test_promotion_actions_link_to_the_request_form_or_the_pending_request(users):
    version = ModelVersion(id="ver_1", status="staging")
    assert 'href="/reviews/new/mdl_a/ver_1/"' in _actions(version, users["eve"])
    assert _actions(version, users["vic"]).strip() == ""
    review = ReviewRequest.objects.create(
        model_id="mdl_a", version_id="ver_1", from_status="staging", to_status="production", note="n",
        requested_by=users["eve"], requested_by_name="eve",
    )
    assert f'href="/reviews/{review.pk}/"' in _actions(version, users["vic"])


def test_the_production_on_form_targets_the_answer_page(db):
    out = render_to_string("reviews/_production_on_form.html", {"model_id": "mdl_a"})
    assert 'action="/audit/production/mdl_a/"' in out
    assert 'name="date"' in out
