"""Requests for ids that do not exist leave nothing behind, and what must survive the
file cache's cull (the status document, the catalog) does.

Found by a review: 50 viewer requests for random model ids left 150 lock files
(never deleted) and 50 cache entries kept for 7 days; past the file cache's entry
cap Django culls a random third of its files, status document and catalog included.
"""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import caches

from tests.support.isolation import own_file_cache
from tests.support.people import log_in, users_with_roles
from webui.jfrogml import cache as upstream_cache

pytestmark = pytest.mark.django_db(transaction=True)


def test_fifty_made_up_model_ids_leave_no_entries_and_a_bounded_number_of_lock_files(
    client, upstream_url, settings, tmp_path
):
    own_file_cache(settings, tmp_path)
    users_with_roles({"vera": "viewer"})
    log_in(client, "vera")
    made_up = [f"mdl_{uuid.uuid4().hex}" for _ in range(50)]
    for model_id in made_up:
        assert client.get(f"/models/{model_id}/").status_code == 404
    for model_id in made_up:
        for kind in ("model", "versions", "experiments"):
            assert upstream_cache.peek(upstream_cache.key(kind, model_id)) is None, (kind, model_id)
    lock_files = list((tmp_path / "locks").glob("*.lock"))
    assert len(lock_files) <= upstream_cache.FILL_LOCK_STRIPES + 10, len(lock_files)
    # A second round of new ids adds no lock files beyond the stripes.
    for _ in range(50):
        client.get(f"/models/mdl_{uuid.uuid4().hex}/")
    assert len(list((tmp_path / "locks").glob("*.lock"))) <= upstream_cache.FILL_LOCK_STRIPES + 10


def test_the_cull_never_reaches_the_status_document_or_the_catalog(settings, tmp_path):
    settings.CACHES = {
        "default": {
            "BACKEND": "webui.core.filecache.FileCache",
            "LOCATION": str(tmp_path / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 10, "CULL_FREQUENCY": 2},
        }
    }
    cache = caches["default"]
    kept = {"status:document:v2": "the status document", "jfrogml-ns:catalog:data": "the catalog"}
    cache.set_many(kept, timeout=None)
    for n in range(60):
        cache.set(f"page-data:{n}", n, timeout=None)
    assert cache.get_many(list(kept)) == kept
    survivors = sum(cache.get(f"page-data:{n}") is not None for n in range(60))
    assert survivors < 60  # the cull did run on everything else
    cache.clear()
    assert cache.get_many(list(kept)) == {}
