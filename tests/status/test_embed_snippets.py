"""The status page offers every badge (overall, per model, per deployment) as Markdown
and HTML to copy, and the feed and status.json, built for the viewer's scope: a
share-link holder's carry their token, a member's need a login (or are public when
the page is), with absolute URLs from the request. Each snippet, fetched as a README
or a feed reader would (no cookie), answers as its scope says."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from webui.status import document
from webui.status.access import share_link_create, share_link_revoke
from webui.status.poller import Observation, record_observations, record_success

pytestmark = pytest.mark.django_db

HOSTILE = 'it\'s "api" [eu] <img src=x onerror=alert(1)> & co'


@pytest.fixture(autouse=True)
def _world(settings):
    settings.POND_STATUS_PUBLIC = False
    settings.POND_STATUS_CONFIRMATIONS = 2
    rows = [
        Observation("d-api-1", "active", name=HOSTILE, model_id="m-api", version_id="v1"),
        Observation("d-api-2", "failed", name="api-us", model_id="m-api", version_id="v1"),
        Observation("d/odd 1", "active", name="odd", model_id="team/m b", version_id="v2"),
    ]
    now = timezone.now()
    for at in (now - timedelta(seconds=2), now - timedelta(seconds=1)):
        record_observations(rows, now=at)
        record_success(now=at, cycle_seconds=0.01)
    document.publish(now=now - timedelta(seconds=1))


class Page(HTMLParser):
    """The copyable texts (by their label), the copy buttons and the aria-live regions."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.labels: dict[str, str] = {}  # input id -> label text
        self.values: dict[str, str] = {}  # input id -> value (unescaped, as a browser shows it)
        self.buttons: list[dict[str, str]] = []
        self.live: dict[str, str] = {}  # id -> aria-live
        self.scripts: list[dict[str, str]] = []
        self._label_for: str | None = None
        self._in_button: dict[str, str] | None = None
        self.feed_links: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "label" and a.get("for"):
            self._label_for = a["for"]
            self.labels[a["for"]] = ""
        elif tag == "input" and "readonly" in a:
            self.values[a["id"]] = a.get("value", "")
        elif tag == "button":
            self.buttons.append(a)
        elif tag == "script":
            self.scripts.append(a)
        elif tag == "link" and a.get("type") == "application/atom+xml":
            self.feed_links.append(a["href"])
        if a.get("aria-live"):
            self.live[a["id"]] = a["aria-live"]

    def handle_data(self, data):
        if self._label_for:
            self.labels[self._label_for] += data

    def handle_endtag(self, tag):
        if tag == "label":
            self._label_for = None

    def texts(self, label: str) -> list[str]:
        return [
            self.values[i]
            for i, text in self.labels.items()
            if text.strip() == label and i in self.values
        ]


def urls_in(snippet: str) -> list[str]:
    return re.findall(r"https?://[^\s)\"<>]+", snippet)


def share_holder(token: str, **extra) -> Client:
    client = Client()
    assert client.get(f"/status/s/{token}/", **extra).status_code == 302
    return client


def test_a_share_link_holder_gets_snippets_with_their_token_that_work_with_no_cookie():
    _, token = share_link_create(label="partner")
    page = Page(share_holder(token).get("/status/").content.decode())
    markdown, html = page.texts("Markdown"), page.texts("HTML")
    assert len(markdown) == len(html) == 1 + 2 + 3  # overall, two models, three deployments
    base = f"http://testserver/status/s/{token}/"
    for snippet in (
        markdown + html + page.texts("Atom feed of incidents") + page.texts("status.json")
    ):
        urls = urls_in(snippet)
        assert urls and all(url.startswith(base) for url in urls), snippet
    badges = {url for snippet in markdown for url in urls_in(snippet) if url.endswith(".svg")}
    assert badges == {
        f"{base}badge.svg",
        f"{base}badge/model/m-api.svg",
        f"{base}badge/model/team%252Fm%2520b.svg",
        f"{base}badge/d-api-1.svg",
        f"{base}badge/d-api-2.svg",
        f"{base}badge/d%252Fodd%25201.svg",
    }
    readme = Client()  # what GitHub's image proxy or a feed reader has: the URL only
    for url in badges | {page.texts("Atom feed of incidents")[0], page.texts("status.json")[0]}:
        response = readme.get(url.removeprefix("http://testserver"))
        assert response.status_code == 200, url
        assert not response.cookies
    # The page's own feed link, for readers that discover it.
    assert page.feed_links == [f"{base}feed.atom"]


def test_a_share_link_holder_is_told_their_snippets_carry_the_link():
    _, token = share_link_create(label="partner")
    page = share_holder(token).get("/status/").content.decode()
    scope = re.search(r'data-testid="embed-scope">(.*?)</p>', page).group(1)
    assert "share link" in scope and "revoked" in scope


def test_snippets_stop_working_when_the_link_is_revoked():
    link, token = share_link_create(label="partner")
    page = Page(share_holder(token).get("/status/").content.decode())
    url = urls_in(page.texts("Markdown")[0])[0].removeprefix("http://testserver")
    assert Client().get(url).status_code == 200
    share_link_revoke(link_id=link.pk)
    assert Client().get(url).status_code == 403


def test_two_share_link_holders_never_see_each_others_token():
    """The page is rendered once per kind of viewer and kept: the token goes in per request."""
    _, first = share_link_create(label="first")
    _, second = share_link_create(label="second")
    one, two = share_holder(first), share_holder(second)
    for url in ("/status/", "/status/live/", "/status/", "/status/live/"):
        for client, mine, theirs in ((one, first, second), (two, second, first)):
            body = client.get(url).content.decode()
            assert theirs not in body, url
            if url == "/status/":
                assert mine in body


def test_a_member_gets_snippets_that_need_a_login_and_no_token(client, bob):
    _, token = share_link_create(label="partner")
    client.force_login(bob)
    body = client.get("/status/").content.decode()
    assert token not in body and "/status/s/" not in body
    page = Page(body)
    for snippet in page.texts("Markdown") + page.texts("HTML"):
        assert all(url.startswith("http://testserver/status/") for url in urls_in(snippet)), snippet
    url = urls_in(page.texts("Markdown")[0])[0].removeprefix("http://testserver")
    assert client.get(url).status_code == 200  # bob, signed in
    assert Client().get(url).status_code == 403  # a README: needs a login
    scope = re.search(r'data-testid="embed-scope">(.*?)</p>', body).group(1)
    assert "need a login" in scope and "share link" in scope


def test_a_member_who_manages_share_links_is_pointed_to_them(client, carol):
    client.force_login(carol)
    body = client.get("/status/").content.decode()
    scope = re.search(r'data-testid="embed-scope">(.*?)</p>', body).group(1)
    assert 'href="/status/share-links/"' in scope


@pytest.mark.parametrize("who", ["anonymous", "member", "share holder"])
def test_on_a_public_page_everyone_gets_the_public_urls(settings, bob, who):
    settings.POND_STATUS_PUBLIC = True
    _, token = share_link_create(label="partner")
    client = share_holder(token) if who == "share holder" else Client()
    if who == "member":
        client.force_login(bob)
    body = client.get("/status/").content.decode()
    assert token not in body
    page = Page(body)
    markdown = page.texts("Markdown")
    assert len(markdown) == 6
    for snippet in markdown + page.texts("HTML"):
        assert all(url.startswith("http://testserver/status/") for url in urls_in(snippet)), snippet
    for snippet in markdown:
        badge = next(url for url in urls_in(snippet) if url.endswith(".svg"))
        assert Client().get(badge.removeprefix("http://testserver")).status_code == 200
    scope = re.search(r'data-testid="embed-scope">(.*?)</p>', body).group(1)
    assert "public" in scope


def test_absolute_urls_come_from_the_request_host_and_scheme(settings):
    settings.ALLOWED_HOSTS = ["status.example.com"]
    _, token = share_link_create(label="partner")
    client = Client(HTTP_HOST="status.example.com")
    client.get(f"/status/s/{token}/", secure=True)
    page = Page(client.get("/status/", secure=True).content.decode())
    urls = urls_in(page.texts("Markdown")[0])
    assert urls and all(
        url.startswith(f"https://status.example.com/status/s/{token}/") for url in urls
    )


def test_snippets_escape_names_for_markdown_and_for_html():
    _, token = share_link_create(label="partner")
    page = Page(share_holder(token).get("/status/").content.decode())
    base = f"http://testserver/status/s/{token}/"
    md = next(t for t in page.texts("Markdown") if "d-api-1" in t)
    html = next(t for t in page.texts("HTML") if "d-api-1" in t)
    # What the reader copies, exactly: Markdown's brackets escaped; HTML's attribute escaped once.
    assert md == (
        '[![it\'s "api" \\[eu\\] <img src=x onerror=alert(1)> & co status]'
        f"({base}badge/d-api-1.svg)]({base}#deployment-d-api-1)"
    )
    assert html == (
        f'<a href="{base}#deployment-d-api-1"><img src="{base}badge/d-api-1.svg" '
        'alt="it&#x27;s &quot;api&quot; [eu] &lt;img src=x onerror=alert(1)&gt; &amp; co status"></a>'
    )


def test_a_name_cannot_forge_the_slot_the_url_goes_into():
    slot = "<!--pond-status-embed-base-->"
    now = timezone.now()
    record_observations([Observation("d-x", "active", name=f"x {slot} y", model_id="m-x")], now=now)
    record_success(now=now, cycle_seconds=0.01)
    document.publish(now=now)
    _, token = share_link_create(label="partner")
    body = share_holder(token).get("/status/").content.decode()
    assert "x &lt;!--pond-status-embed-base--&gt; y" in body
    assert f"x http://testserver/status/s/{token}/ y" not in body


def test_every_copy_button_is_a_real_button_bound_to_a_text_and_a_live_region():
    _, token = share_link_create(label="partner")
    page = Page(share_holder(token).get("/status/").content.decode())
    copy = [b for b in page.buttons if "data-copy" in b]
    assert len(copy) == 2 * 6 + 2  # Markdown and HTML per badge; the feed and status.json
    for button in copy:
        # Focusable, pressed by Enter and Space; submits nothing.
        assert button.get("type") == "button"
        assert "tabindex" not in button and "disabled" not in button
        assert button["data-copy"] in page.values  # the text it copies
        assert page.live.get(button["data-copy-said"]) == "polite"  # where it says it did
    ids = [b["id"] for b in copy]
    assert len(ids) == len(set(ids))


def test_the_copy_script_is_a_static_file_and_the_page_has_no_inline_script():
    _, token = share_link_create(label="partner")
    response = share_holder(token).get("/status/")
    page = Page(response.content.decode())
    sources = [s.get("src", "") for s in page.scripts]
    assert sources and all(src.startswith("/static/") for src in sources)
    assert "/static/status/copy.js" in sources
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert (
        "unsafe-inline"
        not in response["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    )
    script = (Path(django_settings.BASE_DIR) / "static/status/copy.js").read_text()
    assert "navigator.clipboard" in script and "execCommand" in script  # and a fallback


def test_each_row_and_model_links_to_its_snippets():
    _, token = share_link_create(label="partner")
    body = share_holder(token).get("/status/").content.decode()
    targets = set(re.findall(r'class="status-embed-link" href="#([^"]+)"', body))
    targets |= set(re.findall(r'<p class="status-embed-link"><a href="#([^"]+)"', body))
    assert len(targets) == 3 + 2
    for target in targets:
        assert f'id="{target}"' in body
