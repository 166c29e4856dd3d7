"""A version's effective status: upstream, corrected by Pond's record, disagreements flagged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from webui.jfrogml.resources import ModelVersion
from webui.reviews.effective import version_effective_status, versions_effective_status
from webui.reviews.models import LedgerEntry

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def _v(status, vid="ver_1"):
    return ModelVersion(id=vid, version="v1", status=status, status_known=True)


def _applied(from_status, to_status, outcome, *, minutes=0, upstream_before=None, vid="ver_1", kind="apply"):
    # Unsaved rows: the decision is a pure function of the entries it is given.
    return LedgerEntry(
        pk=minutes + 1, kind=kind, actor="rita", model_id="m", version_id=vid, from_status=from_status,
        to_status=to_status, outcome=outcome, created_at=T0 + timedelta(minutes=minutes),
        details={"upstream_before": upstream_before if upstream_before is not None else from_status},
    )


def test_without_a_record_it_is_the_upstream_status():
    status = version_effective_status(version=_v("staging"), ledger_entries=[])
    assert (status.status, status.source, status.disagrees) == ("staging", "upstream", False)


def test_an_upstream_change_pond_made_agrees():
    status = version_effective_status(version=_v("production"), ledger_entries=[_applied("staging", "production", "upstream")])
    assert (status.status, status.source, status.disagrees) == ("production", "upstream", False)


def test_a_change_outside_pond_is_flagged_and_upstream_wins():
    status = version_effective_status(version=_v("archived"), ledger_entries=[_applied("staging", "production", "upstream")])
    assert (status.status, status.source, status.disagrees) == ("archived", "upstream", True)
    assert "Changed outside Pond" in status.note


def test_a_pond_only_decision_is_the_effective_status_with_a_marker():
    status = version_effective_status(version=_v("staging"), ledger_entries=[_applied("staging", "production", "pond")])
    assert (status.status, status.source, status.disagrees) == ("production", "pond", False)
    assert status.pond_only
    assert "JFrog ML cannot change" in status.note
    assert status.upstream_status == "staging"


def test_a_chain_of_pond_only_decisions_keeps_the_original_upstream_status_in_mind():
    entries = [
        _applied("draft", "staging", "pond", minutes=1),
        _applied("staging", "production", "pond", minutes=2, upstream_before="draft"),
    ]
    status = version_effective_status(version=_v("draft"), ledger_entries=entries)
    assert (status.status, status.source) == ("production", "pond")


def test_upstream_catching_up_with_a_pond_decision_agrees():
    status = version_effective_status(version=_v("production"), ledger_entries=[_applied("staging", "production", "pond")])
    assert (status.status, status.source, status.disagrees) == ("production", "upstream", False)


def test_a_change_outside_pond_after_a_pond_only_decision_is_flagged():
    status = version_effective_status(version=_v("archived"), ledger_entries=[_applied("staging", "production", "pond")])
    assert (status.status, status.source, status.disagrees) == ("archived", "upstream", True)


def test_failed_steps_and_other_events_do_not_count():
    entries = [
        _applied("staging", "production", "failed", minutes=1),
        _applied("staging", "production", "", minutes=2, kind="approve"),
    ]
    status = version_effective_status(version=_v("staging"), ledger_entries=entries)
    assert (status.status, status.source, status.disagrees) == ("staging", "upstream", False)


def test_the_latest_applied_step_decides():
    entries = [
        _applied("production", "archived", "pond", minutes=5, upstream_before="staging"),
        _applied("staging", "production", "pond", minutes=1),
    ]
    status = version_effective_status(version=_v("staging"), ledger_entries=entries)
    assert status.status == "archived"


def test_the_batch_form_answers_for_every_version_from_one_list_of_entries():
    versions = [_v("staging", "ver_1"), _v("production", "ver_2"), _v("draft", "ver_3")]
    entries = [
        _applied("staging", "production", "pond", vid="ver_1"),
        _applied("production", "archived", "pond", vid="ver_2", minutes=1, upstream_before="production"),
    ]
    statuses = versions_effective_status(versions=versions, ledger_entries=entries)
    assert {vid: s.status for vid, s in statuses.items()} == {"ver_1": "production", "ver_2": "archived", "ver_3": "draft"}
