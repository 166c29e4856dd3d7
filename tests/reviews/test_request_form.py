"""The promotion form proposes the step up from the version's status, offers only the
moves that status allows, archives production only on a move to production, and shows
the rules of the move chosen (after a submit too, without JavaScript)."""

from __future__ import annotations

import re

from tests.reviews.conftest import post_form
from webui.reviews.models import ReviewRequest


def _options(page: str) -> list[str]:
    select = re.search(r'<select name="to_status"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.findall(r'<option value="([^"]*)"', select)


def _selected(page: str) -> str:
    select = re.search(r'<select name="to_status"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.search(r'<option value="([^"]*)"[^>]*selected', select).group(1)


def _checked(page: str, name: str) -> bool:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
    return "checked" in tag


def _archive_checked(page: str) -> bool:
    return _checked(page, "archive_current")


def _shown_rules(page: str) -> list[str]:
    return re.findall(r'data-rules-for="([^"]+)"(?! hidden)>', page)


def test_a_staging_version_is_proposed_for_production_with_the_archive(client_for, churn):
    page = client_for("eve").get(f"/reviews/new/{churn['id']}/{churn['v2']['id']}/").content.decode()
    assert _selected(page) == "production"
    assert _archive_checked(page)
    assert _shown_rules(page) == ["production"]
    assert "Promotion rules for a move to production" in page


def test_a_draft_version_is_proposed_for_staging_only(client_for, churn, registry):
    draft = registry.version(churn["id"], "v9", metrics={"accuracy": 0.9})
    page = client_for("eve").get(f"/reviews/new/{churn['id']}/{draft['id']}/").content.decode()
    assert _options(page) == ["staging"]
    assert _selected(page) == "staging"
    # Nothing in production is touched by this move: archiving and deploying are not offered.
    assert 'name="archive_current"' not in page and 'name="deploy"' not in page
    assert _shown_rules(page) == ["staging"]
    assert "Promotion rules for a move to staging" in page


def test_each_status_proposes_its_step_up_among_the_moves_it_allows(client_for, churn, registry):
    archived = registry.version(churn["id"], "v0", "archived", metrics={"accuracy": 0.7})
    eve = client_for("eve")
    for version_id, options, proposed in [
        (churn["v2"]["id"], ["draft", "production"], "production"),
        (churn["v1"]["id"], ["archived"], "archived"),
        (archived["id"], ["staging"], "staging"),
    ]:
        page = eve.get(f"/reviews/new/{churn['id']}/{version_id}/").content.decode()
        assert (_options(page), _selected(page)) == (options, proposed)
        assert _shown_rules(page) == [proposed]
        # One panel per move offered, so that the choice can switch between them.
        assert sorted(re.findall(r'data-rules-for="([^"]+)"', page)) == sorted(options)


def test_a_refused_submit_shows_the_rules_of_the_move_chosen(client_for, churn):
    resp = post_form(
        client_for("eve"),
        f"/reviews/new/{churn['id']}/{churn['v2']['id']}/",
        {"to_status": "production", "note": "", "archive_current": "on"},
    )
    assert resp.status_code == 400
    page = resp.content.decode()
    assert _shown_rules(page) == ["production"]
    assert _selected(page) == "production" and _archive_checked(page)
    assert not ReviewRequest.objects.exists()


def test_a_refused_submit_for_another_move_shows_its_rules_unticking_production(client_for, churn):
    resp = post_form(
        client_for("eve"),
        f"/reviews/new/{churn['id']}/{churn['v2']['id']}/",
        {"to_status": "draft", "note": "  ", "archive_current": "on", "deploy": "on"},
    )
    assert resp.status_code == 400
    page = resp.content.decode()
    assert _shown_rules(page) == ["draft"]
    assert "Promotion rules for a move to draft" in page
    assert _selected(page) == "draft"
    assert not _archive_checked(page) and not _checked(page, "deploy")
    assert 'id="id_note_errors"' in page
    assert not ReviewRequest.objects.exists()


def test_archiving_production_is_ignored_on_any_other_move(client_for, churn):
    resp = post_form(
        client_for("eve"),
        f"/reviews/new/{churn['id']}/{churn['v2']['id']}/",
        {"to_status": "draft", "note": "back to work", "archive_current": "on", "deploy": "on"},
    )
    assert resp.status_code == 302
    review = ReviewRequest.objects.get()
    assert (review.to_status, review.archive_current, review.deploy) == ("draft", False, False)
