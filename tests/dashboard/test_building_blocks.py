"""The small parts pages are built from: safe links, charts, error pages."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string

from webui.dashboard.charts import Point, bar_chart, line_chart
from webui.dashboard.templatetags.pond import num, safe_href, status_badge


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>",
        "vbscript:x",
        "//evil.example/x",
        "/relative",
        "http://",
        "",
        None,
    ],
)
def test_only_absolute_http_urls_become_links(url):
    assert safe_href(url) == ""


@pytest.mark.parametrize("url", ["https://model.example/v1/predict", "http://10.0.0.1:8080/p?q=1"])
def test_http_and_https_urls_become_links(url):
    assert safe_href(url) == url


def test_a_badge_escapes_an_unknown_status_and_gives_it_the_neutral_look():
    html = status_badge("<b>odd</b>")
    assert html == '<span class="badge badge-unknown">&lt;b&gt;odd&lt;/b&gt;</span>'


def test_numbers_are_compact_and_missing_ones_are_a_dash():
    assert (num(0.123456789), num(3), num(None), num(float("inf"))) == ("0.123457", "3", "—", "inf")


def test_charts_escape_labels_and_skip_values_that_are_not_finite():
    svg = line_chart(
        [Point("<script>", 1.0, marked=True), Point("ok", float("nan")), Point("b", 2.0)], title="<t>"
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert svg.count("<circle") == 2 and 'class="point production"' in svg
    assert "style=" not in svg
    assert bar_chart([], title="empty") == ""
    bars = bar_chart([Point("a", -1.0), Point("b", 2.0, marked=True)], title="bars")
    assert bars.count("<rect") == 2 and 'class="bar best"' in bars


def test_the_500_page_renders_without_a_request():
    html = render_to_string("500.html")
    assert "Something went wrong" in html and "<script" not in html
