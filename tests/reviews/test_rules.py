"""Promotion rules: from settings or the admin, gates that block approval unless overridden."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reviews.conftest import post_form
from webui.jfrogml.resources import ModelVersion
from webui.reviews.models import LedgerEntry, PromotionRule, ReviewRequest
from webui.reviews.rules import RuleSpec, RuleSpecError, evaluate_rules, settings_rules

ROOT = Path(__file__).resolve().parents[2]


def _v(vid, **metrics):
    return ModelVersion(id=vid, version=vid, metrics=metrics, artifact_path="", status="staging", status_known=True)


def _check(rule, candidate, production=()):
    outcome = evaluate_rules(
        rules=[rule], model_id="m1", tags=["fraud"], to_status="production", candidate=candidate,
        production_versions=list(production),
    )
    assert len(outcome.results) == 1
    return outcome.results[0]


def test_metric_min_passes_at_the_threshold_and_fails_below():
    rule = RuleSpec(kind="metric_min", metric="accuracy", threshold=0.9)
    assert _check(rule, _v("c", accuracy=0.9)).passed
    failed = _check(rule, _v("c", accuracy=0.89))
    assert not failed.passed
    assert "accuracy is 0.89, needs ≥ 0.9" in failed.message


def test_a_missing_metric_fails_the_rule():
    result = _check(RuleSpec(kind="metric_min", metric="accuracy", threshold=0.9), _v("c", loss=0.1))
    assert not result.passed
    assert "no numeric accuracy" in result.message


def test_not_below_production_is_direction_aware():
    auc = RuleSpec(kind="metric_not_below_production", metric="auc")
    assert _check(auc, _v("c", auc=0.8), [_v("p", auc=0.79)]).passed
    assert not _check(auc, _v("c", auc=0.78), [_v("p", auc=0.79)]).passed
    loss = RuleSpec(kind="metric_not_below_production", metric="val_loss")
    assert _check(loss, _v("c", val_loss=0.2), [_v("p", val_loss=0.3)]).passed
    worse = _check(loss, _v("c", val_loss=0.4), [_v("p", val_loss=0.3)])
    assert not worse.passed
    assert "lower is better" in worse.message


def test_not_below_production_passes_when_nothing_is_in_production():
    result = _check(RuleSpec(kind="metric_not_below_production", metric="auc"), _v("c", auc=0.5), [])
    assert result.passed
    assert "no production version" in result.message


def test_requires_artifact_path():
    rule = RuleSpec(kind="requires_artifact_path")
    assert not _check(rule, _v("c")).passed
    assert _check(rule, ModelVersion(id="c", artifact_path="s3://bucket/model.pkl")).passed


def test_rules_apply_by_model_tag_and_target():
    rules = [
        RuleSpec(kind="requires_artifact_path", model_id="m1"),
        RuleSpec(kind="requires_artifact_path", model_id="m2"),
        RuleSpec(kind="requires_artifact_path", tag="fraud"),
        RuleSpec(kind="requires_artifact_path", tag="vision"),
        RuleSpec(kind="requires_artifact_path", target="staging"),
        RuleSpec(kind="requires_artifact_path", target=""),
    ]
    outcome = evaluate_rules(
        rules=rules, model_id="m1", tags=["fraud"], to_status="production", candidate=_v("c"), production_versions=[]
    )
    assert [r.rule for r in outcome.results] == [rules[0], rules[2], rules[5]]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"kind": "metric_at_least"}, "POND_PROMOTION_RULES[0].kind"),
        ({"kind": "metric_min", "threshold": 0.9}, "POND_PROMOTION_RULES[0].metric"),
        ({"kind": "metric_min", "metric": "accuracy"}, "POND_PROMOTION_RULES[0].threshold"),
        ({"kind": "metric_min", "metric": "accuracy", "threshold": "high"}, "POND_PROMOTION_RULES[0].threshold"),
        ({"kind": "requires_artifact_path", "target": "live"}, "POND_PROMOTION_RULES[0].target"),
        ({"kind": "requires_artifact_path", "colour": "red"}, "POND_PROMOTION_RULES[0].colour"),
    ],
)
def test_a_bad_rule_in_settings_is_refused_naming_the_field(raw, field):
    with pytest.raises(RuleSpecError) as excinfo:
        settings_rules([raw])
    assert excinfo.value.field == field


def test_bad_rules_stop_start_up_naming_the_variable(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "POND_", "JFROG_ML_", "DATABASE_URL"))}
    env.update({"POND_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "webui.settings"})
    for value in ('[{"kind": "metric_min", "metric": "accuracy"}]', "{not json"):
        env["POND_PROMOTION_RULES"] = value
        result = subprocess.run(
            [sys.executable, "-c", "import django; django.setup(); print('started')"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
        )
        assert result.returncode != 0
        assert "started" not in result.stdout
        assert "POND_PROMOTION_RULES" in result.stderr
        assert "ImproperlyConfigured" in result.stderr


# --- gates in the workflow, against the live registry ---------------------------------------


def _request(client, churn, version="v2"):
    resp = post_form(
        client, f"/reviews/new/{churn['id']}/{churn[version]['id']}/", {"to_status": "production", "note": "go"}
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    return ReviewRequest.objects.get()


def test_a_failing_rule_blocks_approval(client_for, churn, registry, settings):
    settings.POND_PROMOTION_RULES = [{"tag": "fraud", "kind": "metric_min", "metric": "accuracy", "threshold": 0.95}]
    review = _request(client_for("eve"), churn)
    rita = client_for("rita")
    page = rita.get(f"/reviews/{review.pk}/").content.decode()
    assert 'data-passed="false"' in page
    assert "accuracy is 0.93, needs ≥ 0.95" in page
    resp = post_form(rita, f"/reviews/{review.pk}/decide", {"decision": "approve", "comment": "fine"})
    assert resp.status_code == 400
    assert "Approving anyway needs a written override reason" in resp.content.decode()
    review.refresh_from_db()
    assert review.state == "pending"
    assert registry.status_of(churn["id"], churn["v2"]["id"]) == "staging"
    assert not LedgerEntry.objects.filter(kind__in=["approve", "apply", "override"]).exists()


def test_a_reviewer_overrides_a_failing_rule_with_a_written_reason(client_for, churn, registry, settings):
    settings.POND_PROMOTION_RULES = [{"tag": "fraud", "kind": "metric_min", "metric": "accuracy", "threshold": 0.95}]
    review = _request(client_for("eve"), churn)
    resp = post_form(
        client_for("rita"),
        f"/reviews/{review.pk}/decide",
        {"decision": "approve", "comment": "ok", "override_reason": "0.93 is within noise; fraud spike needs it now."},
    )
    assert resp.status_code == 302
    assert registry.status_of(churn["id"], churn["v2"]["id"]) == "production"
    override = LedgerEntry.objects.get(kind="override")
    assert override.actor == "rita"
    assert override.comment == "0.93 is within noise; fraud spike needs it now."
    assert override.details["rules"][0]["passed"] is False
    assert override.details["rules"][0]["rule"] == "accuracy ≥ 0.95"
    review.refresh_from_db()
    assert review.override_reason.startswith("0.93 is within noise")


def test_an_admin_made_rule_gates_its_model_only(client_for, churn, registry):
    PromotionRule.objects.create(scope_model_id=churn["id"], kind="metric_not_below_production", metric="loss")
    # v2's loss (0.25) is lower than production's (0.30): better, so it passes.
    review = _request(client_for("eve"), churn)
    resp = post_form(client_for("rita"), f"/reviews/{review.pk}/decide", {"decision": "approve"})
    assert resp.status_code == 302
    approve = LedgerEntry.objects.get(kind="approve")
    assert approve.details["rules"][0]["passed"] is True
    assert approve.details["rules"][0]["source"].startswith("rule #")


def test_a_disabled_rule_does_not_gate(client_for, churn, registry):
    PromotionRule.objects.create(kind="metric_min", metric="accuracy", threshold=0.99, enabled=False)
    review = _request(client_for("eve"), churn)
    assert post_form(client_for("rita"), f"/reviews/{review.pk}/decide", {"decision": "approve"}).status_code == 302


def test_an_admin_rule_with_a_bad_shape_is_refused_by_validation(db):
    from django.core.exceptions import ValidationError

    rule = PromotionRule(kind="metric_min", metric="accuracy")
    with pytest.raises(ValidationError) as excinfo:
        rule.full_clean()
    assert "threshold" in excinfo.value.message_dict
