"""Links in findings are built without reverse() per row, and must equal what reverse() makes."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from django.urls import resolve, reverse

from webui.insights.selectors import url_for


@pytest.mark.parametrize(
    "ident", ["mdl_1a2b", "dep-9", "ünïcode", "a b", "x:y@z", "100%", "<script>", "a/b", "..", ".", "q?x#y"]
)
def test_a_link_is_exactly_what_reverse_makes(ident):
    assert url_for("model_detail", ident) == reverse("model_detail", args=[ident])
    assert url_for("version_detail", ident, ident + "v") == reverse("version_detail", args=[ident, ident + "v"])


@pytest.mark.parametrize("ident", ["a/b", "..", "q?x#y", "100%2F"])
def test_an_id_of_any_shape_stays_one_path_segment_and_resolves_to_itself(ident):
    url = url_for("deployment_detail", ident)
    assert url.count("/") == 3 and "/../" not in url
    # What the server sees once WSGI has decoded the path, resolved to the same id.
    match = resolve(unquote(url))
    assert match.url_name == "deployment_detail" and match.kwargs == {"deployment_id": ident}
