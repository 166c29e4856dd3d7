"""Creating, editing and deleting models through Pond's forms."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def _messages(resp) -> list[str]:
    return [str(m) for m in resp.context["messages"]] if resp.context else []


def test_an_engineer_creates_a_model_and_lands_on_its_page(client_for, registry):
    resp = client_for("bob").post(
        "/models/new/",
        {"name": "fraud-detector", "description": "d", "framework": "xgboost", "task_type": "classification", "tags": "fraud, eu, fraud"},
        follow=True,
    )
    assert resp.status_code == 200
    assert resp.redirect_chain[-1][0].startswith("/models/")
    assert "Model “fraud-detector” created." in _messages(resp)
    models = registry.get("/v1/models").json()["models"]
    assert [(m["name"], m["tags"]) for m in models] == [("fraud-detector", ["fraud", "eu"])]


def test_a_blank_name_is_refused_on_the_field_and_nothing_is_created(client_for, registry):
    resp = client_for("bob").post("/models/new/", {"name": "   ", "framework": "x"})
    assert resp.status_code == 200
    assert "name" in resp.context["form"].errors
    assert registry.get("/v1/models").json()["total_count"] == 0


def test_a_too_long_tag_is_refused_naming_the_tag(client_for, registry):
    resp = client_for("bob").post("/models/new/", {"name": "ok", "tags": "fine, " + "x" * 65})
    assert "tags" in resp.context["form"].errors
    assert "longer than 64" in resp.content.decode()
    assert registry.get("/v1/models").json()["total_count"] == 0


def test_a_duplicate_name_shows_jfrog_mls_conflict_on_the_form(client_for, registry):
    registry.model("taken")
    resp = client_for("bob").post("/models/new/", {"name": "taken"})
    assert resp.status_code == 200
    body = resp.content.decode()
    assert 'data-testid="form-errors"' in body and "already exists" in body
    assert registry.get("/v1/models").json()["total_count"] == 1


def test_the_edit_form_is_prefilled_and_saves_changes(client_for, registry):
    model = registry.model("old-name", tags=["a", "b"])
    client = client_for("bob")
    form = client.get(f"/models/{model['id']}/edit/").content.decode()
    assert 'value="old-name"' in form and 'value="a, b"' in form
    resp = client.post(
        f"/models/{model['id']}/edit/",
        {"name": "new-name", "description": "better", "framework": "pytorch", "task_type": "nlp", "tags": "c"},
        follow=True,
    )
    assert "Model “new-name” saved." in _messages(resp)
    fresh = registry.get(f"/v1/models/{model['id']}").json()
    assert (fresh["name"], fresh["framework"], fresh["tags"]) == ("new-name", "pytorch", ["c"])
    assert "new-name" in resp.content.decode()


def test_saving_an_unchanged_form_writes_nothing_and_records_nothing(client_for, registry):
    from webui.activity.models import Activity

    model = registry.model("same", tags=["a"])
    before = registry.get(f"/v1/models/{model['id']}").json()
    client = client_for("bob")
    client.get(f"/models/{model['id']}/")  # the page's cached copy: the record must not come from it
    resp = client.post(
        f"/models/{model['id']}/edit/",
        {"name": "same", "description": before.get("description") or "", "framework": before.get("framework") or "",
         "task_type": before.get("task_type") or "", "tags": "a"},
        follow=True,
    )  # fmt: skip
    assert "Nothing changed: the model was not saved." in _messages(resp)
    assert registry.get(f"/v1/models/{model['id']}").json() == before
    assert not Activity.objects.filter(action=Activity.EDITED, object_id=model["id"]).exists()

    # Changed upstream after the page cached it: the record's "before" is what JFrog ML held.
    registry._send("PUT", f"/v1/models/{model['id']}", {**before, "description": "changed elsewhere"}, 200)
    client.post(
        f"/models/{model['id']}/edit/",
        {"name": "same", "description": "mine", "framework": before.get("framework") or "",
         "task_type": before.get("task_type") or "", "tags": "a"},
    )  # fmt: skip
    edited = Activity.objects.get(action=Activity.EDITED, object_id=model["id"])
    assert edited.changes == {"description": ["changed elsewhere", "mine"]}


def test_delete_asks_for_confirmation_then_deletes(client_for, registry):
    model = registry.model("doomed")
    registry.version(model["id"], "1.0")
    client = client_for("bob")
    confirm = client.get(f"/models/{model['id']}/delete/")
    assert confirm.status_code == 200
    assert "Versions deleted with it (1)" in confirm.content.decode()
    assert registry.exists(f"/v1/models/{model['id']}")
    # The model's name must be typed: without it nothing happens.
    refused = client.post(f"/models/{model['id']}/delete/", {"confirm_name": "doome"})
    assert refused.status_code == 200 and "Type “doomed” exactly to confirm." in refused.content.decode()
    assert registry.exists(f"/v1/models/{model['id']}")
    resp = client.post(f"/models/{model['id']}/delete/", {"confirm_name": "doomed"}, follow=True)
    assert resp.redirect_chain[-1][0] == "/models/"
    assert "Model deleted, with all its versions and deployments." in _messages(resp)
    assert not registry.exists(f"/v1/models/{model['id']}")
    assert "doomed" not in resp.content.decode()


def test_editing_an_unknown_model_is_a_friendly_404(client_for, upstream_url):
    resp = client_for("bob").get("/models/md_doesnotexist/edit/")
    assert resp.status_code == 404
    assert "We could not find that" in resp.content.decode()
