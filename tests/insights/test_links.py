"""Links in findings are built without reverse() per row, and must equal what reverse() makes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from webui.insights.selectors import url_for


@pytest.mark.parametrize("ident", ["mdl_1a2b", "dep-9", "ünïcode", "a b", "x:y@z", "100%", "<script>"])
def test_a_link_is_exactly_what_reverse_makes(ident):
    assert url_for("model_detail", ident) == reverse("model_detail", args=[ident])
    assert url_for("version_detail", ident, ident + "v") == reverse("version_detail", args=[ident, ident + "v"])


def test_an_id_with_a_slash_stays_one_path_segment_instead_of_failing():
    # reverse() refuses it (the route's segment cannot hold "/"); a page must not 500.
    assert url_for("deployment_detail", "a/b") == "/deployments/a%2Fb/"
