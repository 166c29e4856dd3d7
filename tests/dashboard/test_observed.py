"""Changed outside Pond, seen from pages: a page built from data older than what Pond
already saw is no news (issue: governance)."""

from __future__ import annotations

import pytest

from tests.support.registry_http import StagedRegistryHttp
from webui.activity.models import Activity
from webui.status.tasks import catalog_refresh

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staged(upstream_url):
    reg = StagedRegistryHttp(upstream_url)
    yield reg
    reg.close()


def _observed() -> list[tuple[str, str, str]]:
    return [
        (a.object_name, a.details["from"], a.details["status"])
        for a in Activity.objects.filter(action="observed")
    ]


def test_a_page_built_from_an_older_version_list_records_no_change_back(
    client_for, staged, settings
):
    settings.JFROG_ML_TTL_VERSIONS = 3600.0
    model = staged.model("churn")
    v3 = staged.version(model["id"], "v3", "draft")
    alice = client_for("alice")
    assert catalog_refresh.apply().get() == "ok"
    # The model page keeps the version list it read (v3 draft).
    assert alice.get(f"/models/{model['id']}/").status_code == 200

    staged.set_version_status(model["id"], v3["id"], "production")  # not through Pond
    assert catalog_refresh.apply().get() == "ok"
    assert _observed() == [("v3", "draft", "production")]

    # The model page still reads its kept list (v3 draft), older than what the refresh saw:
    # no change back to draft is recorded, nor shown.
    page = alice.get(f"/models/{model['id']}/").content.decode()
    assert _observed() == [("v3", "draft", "production")]
    assert "status became draft" not in page

    settings.JFROG_ML_TTL_VERSIONS = 0.0  # the next read fetches the list again
    page = alice.get(f"/models/{model['id']}/?fresh=1").content.decode()
    assert _observed() == [("v3", "draft", "production")]
    assert "status became production (was draft) outside Pond" in page
