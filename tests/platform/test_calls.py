"""A page costs a fixed number of gRPC calls, whatever the number of builds; the
catalog pages through models with cursors, one call per page."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.platform.conftest import _require_frogml, point_pond_at
from tests.support.isolation import forget_catalog_memo
from webui.jfrogml.client import reset_upstream_calls, upstream_calls

pytestmark = pytest.mark.django_db(transaction=True)


def _cold_calls(client, url: str) -> int:
    cache.clear()
    forget_catalog_memo()
    client.get(url)  # warm the session and the catalog, as a reader's first page would
    cache.clear()
    forget_catalog_memo()
    reset_upstream_calls()
    resp = client.get(url)
    assert resp.status_code == 200, url
    return upstream_calls()


def test_a_model_page_costs_the_same_calls_with_two_builds_or_forty(world, client_for):
    mock, alice = world["mock"], client_for("alice")
    few = _cold_calls(alice, f"/models/{world['churn']}/")
    uuid = mock.models_service.models[world["fraud"]].uuid
    for n in range(40):
        mock.build(uuid, name=f"many-{n}", params={"n": str(n)}, metrics={"auc": n / 40})
    many = _cold_calls(alice, f"/models/{world['fraud']}/")
    assert many == few, (few, many)
    assert few <= 8


class _Paging:
    """ModelsManagementService as the SDK mock has it, plus `ListModelsPaginated` as the
    SDK's proto defines it (the mock does not implement it): the cursor is the index."""

    def __new__(cls):
        from frogml._proto.qwak.models.models_pb2 import ListModelsPaginatedResponse
        from frogml._proto.qwak.models.models_query_pb2 import PaginationMetadata
        from frogml_services_mock.mocks.model_management_service import ModelsManagementServiceMock

        class Paging(ModelsManagementServiceMock):
            pages: list[str] = []

            def ListModelsPaginated(self, request, context):
                self.pages.append(request.cursor)
                ordered = sorted(self.models.values(), key=lambda m: m.model_id)
                start = int(request.cursor or 0)
                chunk = ordered[start : start + request.page_size]
                more = start + request.page_size < len(ordered)
                meta = PaginationMetadata(
                    page_size=request.page_size,
                    next_cursor=str(start + request.page_size) if more else "",
                )
                return ListModelsPaginatedResponse(models=chunk, metadata=meta)

        return Paging()


def test_the_catalog_follows_the_cursor_one_call_per_page(settings, client_for):
    _require_frogml()
    from tests.platform.mock import PlatformMock
    from webui.jfrogml.platform.client import close_channels

    servicer = _Paging()
    mock = PlatformMock(models_servicer=servicer)
    try:
        project_id = mock.project()
        for n in range(7):
            mock.model(f"model-{n}", project_id=project_id)
        point_pond_at(settings, mock, project_id=project_id)
        settings.JFROG_ML_PROJECTS = []  # every project: the paginated listing
        settings.JFROG_ML_CATALOG_PAGE_SIZE = 3
        body = client_for("alice").get("/models/?per_page=50").content.decode()
        for n in range(7):
            assert f"model-{n}" in body
        # The first view's probe (one model: is the catalog small?), then each page once.
        assert servicer.pages == ["", "", "3", "6"]
    finally:
        mock.stop()
        close_channels()
