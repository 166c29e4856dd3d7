"""/insights/resources/: replicas × what Pond recorded at creation, summed per model and
tag; "unknown" (never a guess) for deployments Pond did not create."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from webui.dashboard.models import DeploymentResources
from webui.insights.selectors import parse_cpu, parse_memory

URL = "/insights/resources/"
GIB = 2**30


@pytest.mark.parametrize(
    ("text", "cores"),
    [("500m", 0.5), ("2", 2.0), ("0.25", 0.25), ("1500m", 1.5), (" 4 ", 4.0), (".5", 0.5)],
)
def test_it_reads_cpu_as_cores_or_millicores(text, cores):
    assert parse_cpu(text) == pytest.approx(cores)


@pytest.mark.parametrize(
    ("text", "size"),
    [("512Mi", 512 * 2**20), ("4Gi", 4 * GIB), ("1G", 10**9), ("1048576", 2**20), ("1.5Gi", int(1.5 * GIB)), ("64Ki", 65536)],
)
def test_it_reads_memory_as_binary_or_decimal_sizes(text, size):
    assert parse_memory(text) == size


@pytest.mark.parametrize("text", ["two", "500 m", "-1", "1e3", "", "2cores", "m"])
def test_it_refuses_to_guess_an_unparseable_cpu(text):
    assert parse_cpu(text) is None


@pytest.mark.parametrize("text", ["lots", "4GB", "4 gi", "-512Mi", "", "Gi"])
def test_it_refuses_to_guess_an_unparseable_memory(text):
    assert parse_memory(text) is None


def _deploy_through_pond(bob: Client, *, model_id: str, version_id: str, name: str, **resources) -> str:
    """The dashboard's deployment form: it records the resources asked for."""
    page = bob.post(
        "/deployments/new/",
        {"model_id": model_id, "model_version_id": version_id, "name": name, "replicas": 1, **resources},
    )
    assert page.status_code == 302, page.content.decode()[:2000]
    return page["Location"].rstrip("/").rsplit("/", 1)[-1]


@pytest.fixture
def bob(users) -> Client:
    client = Client()
    client.force_login(users["bob"])
    return client


def test_it_sums_recorded_resources_per_deployment_model_and_tag(alice, bob, registry, poll):
    churn = registry.model("churn", tags=["demo", "retail"])
    churn_v = registry.version(churn["id"], "1.0", status="production")
    fraud = registry.model("fraud", tags=["demo"])
    fraud_v = registry.version(fraud["id"], "2.0", status="production")
    a = _deploy_through_pond(bob, model_id=churn["id"], version_id=churn_v["id"], name="churn-a", replicas=2, cpu="500m", memory="512Mi", gpu=1)
    b = _deploy_through_pond(bob, model_id=fraud["id"], version_id=fraud_v["id"], name="fraud-a", cpu="2", memory="4Gi")
    registry.set_deployment_status(b, "active")
    # Scaled later (upstream knows the current replicas): 3 × 2 cores.
    registry._send("PATCH", f"/v1/deployments/{b}", {"replicas": 3}, 200)
    poll()

    payload = alice.get(URL + "?format=json").json()
    rows = {d["name"]: d for d in payload["deployments"]}
    assert (rows["churn-a"]["replicas"], rows["churn-a"]["cpu_total"], rows["churn-a"]["memory_total_bytes"], rows["churn-a"]["gpu_total"]) == (
        2, 1.0, GIB, 2,
    )
    assert (rows["fraud-a"]["replicas"], rows["fraud-a"]["cpu_total"], rows["fraud-a"]["memory_total_bytes"]) == (3, 6.0, 12 * GIB)
    by_model = {t["label"]: t for t in payload["by_model"]}
    assert (by_model["churn"]["cpu"], by_model["churn"]["memory_bytes"], by_model["churn"]["gpu"]) == (1.0, GIB, 2)
    assert by_model["churn"]["url"] == reverse("model_detail", args=[churn["id"]])
    by_tag = {t["label"]: t for t in payload["by_tag"]}
    assert (by_tag["demo"]["cpu"], by_tag["demo"]["memory_bytes"], by_tag["demo"]["gpu"], by_tag["demo"]["deployments"]) == (7.0, 13 * GIB, 2, 2)
    assert (by_tag["retail"]["cpu"], by_tag["retail"]["deployments"]) == (1.0, 1)
    assert payload["total"] | {} == {
        "key": "*", "label": "All deployments", "url": "", "deployments": 2, "unknown": 0,
        "cpu": 7.0, "memory_bytes": 13 * GIB, "gpu": 2, "excluded": [],
    }
    html = alice.get(URL).content.decode()
    assert '<div class="stat">7</div><div class="stat-label">cpu cores</div>' in html
    assert '<div class="stat">13</div><div class="stat-label">GiB memory</div>' in html
    assert reverse("deployment_detail", args=[a]) in html


def test_deployments_pond_did_not_create_are_unknown_and_counted_as_such(alice, bob, registry, poll):
    model = registry.model("churn")
    version = registry.version(model["id"], "1.0", status="production")
    _deploy_through_pond(bob, model_id=model["id"], version_id=version["id"], name="churn-pond", cpu="1", memory="1Gi")
    # Created with resources directly against JFrog ML: it echoes them once, Pond never saw them.
    registry.deployment(model["id"], version["id"], "churn-cli", resources={"cpu": "8", "memory": "32Gi"})
    poll()

    payload = alice.get(URL + "?format=json").json()
    rows = {d["name"]: d for d in payload["deployments"]}
    assert rows["churn-cli"] | {} == rows["churn-cli"] | {"known": False, "cpu": None, "memory": None, "cpu_total": None}
    assert (payload["total"]["deployments"], payload["total"]["unknown"], payload["total"]["cpu"]) == (2, 1, 1.0)
    html = alice.get(URL).content.decode()
    assert "unknown — not created through Pond" in html
    assert "1 of them unknown (not created through Pond) and not in the sums" in html


def test_an_unparseable_value_is_shown_as_given_and_left_out_of_the_sums(alice, bob, registry, poll):
    model = registry.model("churn")
    version = registry.version(model["id"], "1.0", status="production")
    good = _deploy_through_pond(bob, model_id=model["id"], version_id=version["id"], name="churn-good", cpu="1", memory="2Gi")
    odd = registry.deployment(model["id"], version["id"], "churn-odd")
    # A record written before the form validated quantities (or by an admin).
    DeploymentResources.objects.create(deployment_id=odd["id"], cpu="two cores", memory="1Gi", replicas=1)
    poll()

    payload = alice.get(URL + "?format=json").json()
    assert (payload["total"]["cpu"], payload["total"]["memory_bytes"]) == (1.0, 3 * GIB)
    assert payload["total"]["excluded"] == ["cpu “two cores” of churn-odd is not a quantity Pond understands: not summed"]
    html = alice.get(URL).content.decode()
    assert "two cores" in html
    assert "is not a quantity Pond understands: not summed" in html
    assert good


def test_stopped_deployments_are_listed_but_not_summed(alice, bob, registry, poll):
    model = registry.model("churn")
    version = registry.version(model["id"], "1.0", status="production")
    stopped = _deploy_through_pond(bob, model_id=model["id"], version_id=version["id"], name="churn-old", cpu="4", memory="8Gi")
    registry.set_deployment_status(stopped, "stopped")
    poll()

    payload = alice.get(URL + "?format=json").json()
    assert payload["stopped_not_counted"] == 1
    assert (payload["total"]["deployments"], payload["total"]["cpu"]) == (0, None)
    assert [d["counted"] for d in payload["deployments"]] == [False]


def test_a_total_over_only_unknown_deployments_is_unknown_not_zero(alice, registry, poll):
    model = registry.model("churn")
    version = registry.version(model["id"], "1.0", status="production")
    registry.deployment(model["id"], version["id"], "churn-cli")
    poll()

    payload = alice.get(URL + "?format=json").json()
    assert (payload["total"]["unknown"], payload["total"]["cpu"], payload["total"]["memory_bytes"]) == (1, None, None)
    assert payload["by_model"][0]["cpu"] is None
    html = alice.get(URL).content.decode()
    assert '<div class="stat">unknown</div>' in html
    assert '<div class="stat">0</div><div class="stat-label">cpu cores</div>' not in html


def test_each_table_shows_its_first_rows_and_all_of_one_on_asking(alice, registry, poll, monkeypatch):
    from webui.insights import views

    monkeypatch.setattr(views, "ROWS_SHOWN", 2)
    model = registry.model("churn")
    version = registry.version(model["id"], "1.0")
    for name in ("a-dep", "b-dep", "c-dep"):
        registry.deployment(model["id"], version["id"], name)
    poll()

    page = alice.get(URL).content.decode()
    table = page.split('data-testid="resources-by-deployment"', 1)[1].split("</section>", 1)[0]
    assert table.count("data-deployment-id=") == 2
    assert 'href="?all=deployment#t-deployments" data-testid="show-all-rows">Show all 3</a>' in table
    everything = alice.get(URL + "?all=deployment").content.decode()
    table = everything.split('data-testid="resources-by-deployment"', 1)[1].split("</section>", 1)[0]
    assert table.count("data-deployment-id=") == 3
    assert "show-all-rows" not in table
    assert alice.get(URL + "?all=nope").status_code == 400
