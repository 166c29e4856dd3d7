"""The subscriptions page: who may use it, the create form (every bad field named,
nothing written), disabling with a confirmation, the delivery log with its retries,
never a URL's path; and the Atom feed filtered by the same choice."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone

from tests.support.faultserver import FaultServer, json_response, sequence, status
from webui.activity.models import Activity
from webui.reviews.models import OutboxMessage
from webui.status import document, webhooks
from webui.status.access import share_link_create
from webui.status.models import StatusSubscription
from webui.status.poller import Observation, record_observations, record_success

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SECRET_PATH = "/services/T0SECRET/B0SECRET/xoxSECRETxyz"
# Upstream ids are any string: these need encoding in every URL.
ODD_DEPLOYMENT = "d/1 ?#x"
ODD_MODEL = "m/1 & <b>"


@pytest.fixture
def erin(db) -> User:
    """May deploy: may operate the status page."""
    user = User.objects.create_user("erin", "erin@example.com", "erin-password-1")
    user.user_permissions.add(
        Permission.objects.get(codename="deploy", content_type__app_label="dashboard")
    )
    return user


@pytest.fixture
def world(settings):
    """Two models' deployments on the status page, one failed deployment of each (two incidents)."""
    settings.POND_STATUS_CONFIRMATIONS = 1
    settings.POND_STATUS_WEBHOOKS = []
    now = timezone.now()

    def poll(statuses: dict[str, str], at) -> None:
        models = {ODD_DEPLOYMENT: ODD_MODEL, "d-2": ODD_MODEL, "d-3": "m-2"}
        names = {ODD_DEPLOYMENT: "fraud <prod>", "d-2": "fraud-canary", "d-3": "churn-prod"}
        record_observations(
            [
                Observation(
                    deployment_id=d, status=s, name=names[d], model_id=models[d], version_id="v"
                )
                for d, s in statuses.items()
            ],
            now=at,
        )
        record_success(now=at, cycle_seconds=0.01)
        document.publish(now=at)

    poll({ODD_DEPLOYMENT: "active", "d-2": "active", "d-3": "active"}, now - timedelta(seconds=20))
    poll({ODD_DEPLOYMENT: "failed", "d-2": "active", "d-3": "failed"}, now - timedelta(seconds=10))


def valid_form(**changes) -> dict[str, str]:
    return {
        "label": "ops channel",
        "format": "slack",
        "url": f"https://hooks.example{SECRET_PATH}?t=qSECRETq",
        "scope": "all",
        **changes,
    }


def test_an_operator_subscribes_a_webhook_to_a_model_on_the_record(client, erin, world):
    client.force_login(erin)
    response = client.post(
        "/status/subscriptions/", valid_form(scope="model", model=ODD_MODEL, format="json")
    )
    assert response.status_code == 302 and response["Location"] == "/status/subscriptions/"
    subscription = StatusSubscription.objects.get()
    assert (subscription.scope, subscription.target_id, subscription.format) == (
        "model",
        ODD_MODEL,
        "json",
    )
    assert subscription.created_by == "erin" and subscription.disabled_at is None
    (record,) = Activity.objects.filter(object_kind="subscription")
    assert (record.actor, record.action, record.object_id) == (
        "erin",
        Activity.CREATED,
        str(subscription.pk),
    )
    assert record.changes["host"] == "hooks.example"
    assert "SECRET" not in str(record.changes) + str(record.details)

    page = client.get("/status/subscriptions/").content.decode()
    assert "ops channel" in page and "hooks.example" in page
    assert "SECRET" not in page  # the URL's path and query are a credential
    assert "m/1 &amp; &lt;b&gt;" in page and "<b>" not in page
    assert "/status/feed.atom?model=m%2F1+%26+%3Cb%3E" in page  # its feed, the id encoded


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"label": ""}, "label"),
        ({"label": "x" * 201}, "label"),
        ({"format": "xml"}, "format"),
        ({"url": ""}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "ftp://hooks.example/x"}, "url"),
        ({"url": "http://hooks.example/x"}, "url"),  # plain http: only to localhost, with DEBUG
        ({"url": "http://127.0.0.1:9/x"}, "url"),  # DEBUG is off
        ({"url": "https://hooks.example:99999/x"}, "url"),
        ({"url": "https://hooks.example/" + "x" * 2000}, "url"),
        ({"scope": "everything"}, "scope"),
        ({"scope": "model", "model": "m-nope"}, "model"),
        ({"scope": "model"}, "model"),
        ({"scope": "deployment", "deployment": "d-nope"}, "deployment"),
        (
            {"scope": "deployment", "deployment": ODD_MODEL},
            "deployment",
        ),  # a model is not a deployment
    ],
)
def test_bad_input_is_named_inline_and_writes_nothing(client, erin, world, changes, field):
    client.force_login(erin)
    response = client.post("/status/subscriptions/", valid_form(**changes))
    assert response.status_code == 400
    errors = [
        e.strip()
        for e in response.content.decode()
        .split('data-testid="form-errors">')[1]
        .split("</ul>")[0]
        .split("<li>")
        if e.strip()
    ]
    assert errors and all(e.startswith(f"{field}:") for e in errors), errors
    assert StatusSubscription.objects.count() == 0
    assert Activity.objects.count() == 0
    assert "SECRET" not in response.content.decode()  # not even echoed back in the form


def test_plain_http_to_this_machine_is_allowed_with_debug_on(client, erin, world, settings):
    settings.DEBUG = True
    client.force_login(erin)
    response = client.post(
        "/status/subscriptions/",
        valid_form(url="http://127.0.0.1:9/x", scope="deployment", deployment=ODD_DEPLOYMENT),
    )
    assert response.status_code == 302
    assert StatusSubscription.objects.get().target_name == "fraud <prod>"


def test_viewers_are_refused_and_see_no_link(client, bob, erin, world):
    subscription = StatusSubscription.objects.create(
        label="x",
        format="json",
        url="https://hooks.example/x",
        created_by="erin",
        created_at=timezone.now(),
    )
    client.force_login(bob)
    assert client.get("/status/subscriptions/").status_code == 403
    assert client.post("/status/subscriptions/", valid_form()).status_code == 403
    disable = f"/status/subscriptions/{subscription.pk}/disable/"
    assert client.post(disable, {"confirm": "yes"}).status_code == 403
    assert StatusSubscription.objects.filter(disabled_at__isnull=True).count() == 1
    assert 'data-testid="subscriptions-link"' not in client.get("/status/").content.decode()
    client.force_login(erin)
    assert 'data-testid="subscriptions-link"' in client.get("/status/").content.decode()


def test_share_link_holders_and_anonymous_visitors_are_sent_to_log_in(client, world):
    assert client.get("/status/subscriptions/")["Location"].startswith("/accounts/login/")
    _, token = share_link_create(label="wall screen")
    assert client.get(f"/status/s/{token}/").status_code == 302  # now a share holder
    assert client.get("/status/").status_code == 200
    response = client.post("/status/subscriptions/", valid_form())
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert StatusSubscription.objects.count() == 0


def test_disabling_needs_the_confirmation_and_is_on_the_record(client, erin, world):
    subscription = StatusSubscription.objects.create(
        label="old bot",
        format="json",
        url=f"https://hooks.example{SECRET_PATH}",
        created_by="erin",
        created_at=timezone.now(),
    )
    client.force_login(erin)
    url = f"/status/subscriptions/{subscription.pk}/disable/"
    confirm = client.get(url)
    assert confirm.status_code == 200 and "hooks.example" in confirm.content.decode()
    assert "SECRET" not in confirm.content.decode()
    refused = client.post(url, {})
    assert refused.status_code == 400 and "confirm:" in refused.content.decode()
    assert StatusSubscription.objects.get().disabled_at is None and Activity.objects.count() == 0
    assert client.post(url, {"confirm": "yes"}).status_code == 302
    assert StatusSubscription.objects.get().disabled_at is not None
    (record,) = Activity.objects.all()
    assert (record.actor, record.action, record.object_kind) == (
        "erin",
        Activity.REVOKED,
        "subscription",
    )
    assert client.post(url, {"confirm": "yes"}).status_code == 302  # again: nothing more
    assert Activity.objects.count() == 1
    assert client.get("/status/subscriptions/999999/disable/").status_code == 404


def test_the_page_shows_a_failing_delivery_s_attempts_and_error_then_its_success(
    client, erin, settings
):
    settings.DEBUG = True
    settings.POND_STATUS_WEBHOOKS = []
    with FaultServer(prefix="") as hook:
        hook.on("POST", SECRET_PATH, sequence(status(500), json_response({"ok": True})))
        subscription = StatusSubscription.objects.create(
            label="flaky",
            format="slack",
            url=f"http://127.0.0.1:{hook.port}{SECRET_PATH}",
            created_by="erin",
            created_at=timezone.now(),
        )
        webhooks.status_announce(
            text="Maintenance of m-1 starts", event={"type": "maintenance_start"}, model_id="m-1"
        )
        webhooks.outbox_send_due()
        client.force_login(erin)
        page = client.get("/status/subscriptions/").content.decode()
        last = page.split('data-testid="last-delivery">')[1].split("</td>")[0]
        assert "failing: 1 attempt," in last
        assert "answered 500" in last and "next retry" in last
        assert f"127.0.0.1:{hook.port}" in page and "SECRET" not in page
        assert "Maintenance of m-1 starts" in page  # the delivery list says what it was

        OutboxMessage.objects.filter(subscription=subscription.key).update(
            next_attempt_at=timezone.now()
        )
        webhooks.outbox_send_due()
        page = client.get("/status/subscriptions/").content.decode()
        last = page.split('data-testid="last-delivery">')[1].split("</td>")[0]
        assert "delivered" in last and "after 2 attempts" in last
        assert hook.count("POST", SECRET_PATH) == 2


# --- the feed, filtered ----------------------------------------------------------------


def entries(response) -> list[str]:
    assert response.status_code == 200, response.content
    root = ET.fromstring(response.content)  # noqa: S314 - our own output, in a test
    return sorted(e.find(f"{ATOM}title").text for e in root.findall(f"{ATOM}entry"))


def test_the_feed_is_filtered_by_model_or_deployment(client, erin, world):
    client.force_login(erin)
    assert entries(client.get("/status/feed.atom")) == [
        "churn-prod is failed",
        "fraud <prod> is failed",
    ]
    assert entries(client.get("/status/feed.atom", {"model": ODD_MODEL})) == [
        "fraud <prod> is failed"
    ]
    assert entries(client.get("/status/feed.atom", {"model": "m-2"})) == ["churn-prod is failed"]
    assert entries(client.get("/status/feed.atom", {"deployment": ODD_DEPLOYMENT})) == [
        "fraud <prod> is failed"
    ]
    assert entries(client.get("/status/feed.atom", {"deployment": "d-2"})) == []  # no incident
    assert (
        entries(client.get("/status/feed.atom", {"model": "never-seen"})) == []
    )  # unknown: empty, not an error


def test_the_share_links_feed_is_filtered_the_same_way(client, world):
    _, token = share_link_create(label="feed reader")
    assert entries(client.get(f"/status/s/{token}/feed.atom", {"deployment": "d-3"})) == [
        "churn-prod is failed"
    ]
    assert client.get(f"/status/s/{token}/feed.atom", {"deployment": ""}).status_code == 400


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("model=m-2&deployment=d-3", "deployment:"),
        ("model=", "model:"),
        ("deployment=a&deployment=b", "deployment:"),
        ("model=" + "x" * 2049, "model:"),
    ],
)
def test_a_bad_feed_filter_is_a_400_naming_the_parameter(client, erin, world, query, named):
    client.force_login(erin)
    response = client.get(f"/status/feed.atom?{query}")
    assert response.status_code == 400
    assert response.content.decode().startswith(named)


def test_each_subscription_shows_the_feed_of_its_scope_and_that_feed_works(client, erin, world):
    client.force_login(erin)
    assert (
        client.post(
            "/status/subscriptions/", valid_form(scope="deployment", deployment=ODD_DEPLOYMENT)
        ).status_code
        == 302
    )
    page = client.get("/status/subscriptions/").content.decode()
    href = page.split('data-testid="subscription-feed"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert href == "http://testserver/status/feed.atom?deployment=d%2F1+%3F%23x"
    assert entries(client.get(href)) == ["fraud <prod> is failed"]
