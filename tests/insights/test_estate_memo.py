"""Every estate made from one loaded catalog shares its model list and the lookups
over it (100,000 versions are turned into VersionRefs once, not once per page), and a
new catalog (a refresh, a write through Pond) gives estates of its own."""

from __future__ import annotations

import time

import pytest

from webui.insights import selectors, sources
from webui.jfrogml import catalog
from webui.jfrogml.resources import Model


def _catalog(*versions: tuple) -> catalog.Catalog:
    now = time.time()
    row = catalog.model_row(Model(id="mdl_1", name="churn"), tuple(catalog.VersionRow(*v) for v in versions), now)
    return catalog.save(catalog.Catalog(rows=[row], built_at=now, complete=True, full_at=now))


@pytest.fixture
def no_upstream(settings):
    # Nothing answers here: deployments are then reported unknown, the estate still loads.
    settings.JFROG_ML_URL = "http://127.0.0.1:9/ml/api"
    settings.JFROG_ML_CONNECT_TIMEOUT = 0.2
    return settings


@pytest.mark.django_db
def test_estates_from_one_catalog_share_its_models_and_lookups(no_upstream):
    _catalog(("ver_1", "v1", "production", time.time() - 60, "s3://a"), ("ver_2", "v2", "draft", time.time(), ""))
    first = sources.estate_load()
    second = sources.estate_load(with_experiments=True)
    assert second.models is first.models
    assert second.versions_by_id is first.versions_by_id
    assert set(first.versions_by_id) == {"ver_1", "ver_2"}
    assert first.models[0].versions[0].created_at is not None

    _catalog(("ver_1", "v1", "archived", time.time() - 60, "s3://a"))
    newer = sources.estate_load()
    assert newer.models is not first.models
    assert set(newer.versions_by_id) == {"ver_1"}
    assert newer.versions_by_id["ver_1"].status == "archived"


@pytest.mark.django_db
def test_effective_status_reads_like_a_dict_of_every_version(no_upstream):
    _catalog(("ver_1", "v1", "production", time.time() - 60, "s3://a"), ("ver_2", "v2", "draft", time.time(), ""))
    effective = selectors._effective(sources.estate_load())
    assert len(effective) == 2 and set(effective) == {"ver_1", "ver_2"}
    assert "ver_1" in effective and "ver_9" not in effective
    assert effective["ver_1"].status == "production" and effective["ver_1"].source == "upstream"
    assert effective.get("ver_2").status == "draft"
    assert effective.get("ver_9") is None and effective.get("ver_9", "x") == "x"
    with pytest.raises(KeyError):
        effective["ver_9"]


@pytest.mark.django_db
def test_the_per_status_version_lists_are_kept_per_model_list(no_upstream):
    _catalog(("ver_1", "v1", "production", time.time() - 60, "s3://a"), ("ver_2", "v2", "draft", time.time(), ""))
    estate = sources.estate_load()
    in_production = selectors._upstream_in_status(estate, "production")
    assert [v.id for v in in_production["mdl_1"]] == ["ver_1"]
    assert selectors._upstream_in_status(sources.estate_load(), "production") is in_production
    assert selectors._artifact_gaps(estate) is selectors._artifact_gaps(sources.estate_load())
    # Only the problems: the total still counts every model.
    truth = selectors.production_truth(estate, only_problems=True)
    assert truth.total_models == 1
