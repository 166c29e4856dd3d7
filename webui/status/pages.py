"""The status page's HTML, rendered once per document, page and kind of viewer.

The page is the same for everyone allowed to see it except for

- the kind of viewer (`Viewer`): anonymous (a public page or a share link), logged
  in, or logged in and allowed to manage share links (the header's links differ);
- freshness: whether the document is stale (every status then reads "unknown"),
  decided per request, and the banner and "checked N s ago" line, which change
  every second.

- where the embed snippets' badges, the feed and status.json point (`Embed`): the
  public URLs, the ones that need a login, or the viewer's share link's.

So the expensive part (the model groups, their rows and the incidents) is rendered
per (document stamp, page, stale, viewer kind) and kept in process memory with the
document it came from (webui.status.snapshot.by_stamp); the head of the live part
is rendered per request and spliced in, and the embed URLs are put into their slots.
Nothing cached is rendered with a request: no CSRF token, user name, share token or
session data can reach it.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import cachetools
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from webui.status import document as built
from webui.status import snapshot
from webui.status.access import can_manage_share_links, can_operate
from webui.status.models import IncidentUpdate

# Where the per-request head of the live part goes in a cached page. Rendered data is
# always escaped ("<" becomes "&lt;"), so no deployment or model name can forge it.
_HEAD_SLOT = "<!--pond-status-live-head-->"
# Likewise, per request: the absolute URL the embed snippets, the badges' links and the
# feed start from (ends in "/": `https://pond.example/status/` or the share link's
# `https://pond.example/status/s/<token>/`), status.json's URL, and the line saying
# who can open them.
_BASE_SLOT = "<!--pond-status-embed-base-->"
_JSON_SLOT = "<!--pond-status-embed-json-->"
_SCOPE_SLOT = "<!--pond-status-embed-scope-->"
# Rendered pages kept per document (per process): page 1 is what nearly everyone
# asks for; a crawler walking every page must not grow memory without bound.
MAX_RENDERED = 48


@dataclass(frozen=True)
class Viewer:
    """What the page shows differently per viewer: a role, never a person."""

    signed_in: bool
    can_manage: bool
    # May act on incidents, maintenance and subscriptions (access.can_operate).
    can_operate: bool = False

    @property
    def kind(self) -> str:
        role = "manager" if self.can_manage else "user" if self.signed_in else "anonymous"
        return f"{role}+operator" if self.can_operate else role


ANONYMOUS = Viewer(signed_in=False, can_manage=False)
SIGNED_IN = Viewer(signed_in=True, can_manage=False)
MANAGER = Viewer(signed_in=True, can_manage=True, can_operate=True)

# Whether a signed-in user may manage share links (or operate: subscriptions) decides
# links on the page, never access (their views check the rights themselves). Asking costs
# two permission queries on every view, so the answer is kept this many seconds per
# process: a granted or withdrawn permission shows in the header at most this late.
MANAGER_MEMO_SECONDS = 10.0
_clock = time.monotonic
_manager_memo = cachetools.TTLCache(maxsize=10_000, ttl=MANAGER_MEMO_SECONDS, timer=lambda: _clock())
_manager_lock = threading.Lock()


def viewer(request) -> Viewer:
    user = request.user
    if not user.is_authenticated:
        return ANONYMOUS
    if user.is_superuser:
        return MANAGER if user.is_active else SIGNED_IN
    # The user's creation time and database too: a primary key alone is reused (tests).
    key = (
        settings.DATABASES["default"]["NAME"],
        user.pk,
        user.get_username(),
        getattr(user, "date_joined", None),
    )
    with _manager_lock:
        found = _manager_memo.get(key)
    if found is None:
        found = Viewer(signed_in=True, can_manage=can_manage_share_links(user), can_operate=can_operate(user))
        with _manager_lock:
            _manager_memo[key] = found
    return found


@dataclass(frozen=True)
class Embed:
    """Where this viewer's embed snippets point, and who can open them (`scope`)."""

    scope: str  # "public", "login" (signed-in people only), "share", "share-unknown"
    base: str
    json_url: str
    can_manage: bool = False


def embed_for(request) -> Embed:
    """The URLs a viewer can hand on: in public mode the public ones; a share-link
    holder's carry their token; a member's are Pond's own, which need a login."""
    page_url = request.build_absolute_uri(reverse("status_page"))
    json_url = request.build_absolute_uri(reverse("status_json"))
    if settings.POND_STATUS_PUBLIC:
        return Embed("public", page_url, json_url)
    if request.user.is_authenticated:
        return Embed("login", page_url, json_url, can_manage=viewer(request).can_manage)
    token = getattr(request, "status_share_token", None)
    if token:
        return Embed(
            "share",
            request.build_absolute_uri(reverse("status_share_enter", args=[token])),
            request.build_absolute_uri(reverse("status_json_shared", args=[token])),
        )
    # A browser that entered its link before Pond kept the token for it.
    return Embed("share-unknown", page_url, json_url)


def _scope_note(embed: Embed) -> str:
    if embed.scope == "public":
        return escape("Anyone can open these: this status page is public.")
    if embed.scope == "share":
        return escape(
            "These carry your share link: whoever has them sees this status page "
            "until the link is revoked."
        )
    if embed.scope == "share-unknown":
        return escape(
            "Open your share link again to get badges and a feed that work outside this browser."
        )
    if embed.can_manage:
        return format_html(
            "These need a login to Pond: only signed-in people see them. For a README, "
            'a chat or a feed reader, <a href="{}">create a share link</a> and use the '
            "snippets the page shows through it.",
            reverse("status_share_links"),
        )
    return escape(
        "These need a login to Pond: only signed-in people see them. For a README, a chat "
        "or a feed reader, ask someone who manages share links for one."
    )


# The embed snippets are built once per document with a marker where the per-request
# URL goes: a sentinel among the parts, so no name can produce it.
_BASE = object()
_MARKDOWN_SPECIAL = re.compile(r"([\\\[\]])")
_NOT_TEXT = re.compile(r"[\x00-\x1f\x7f]+")


def _display(*parts: object) -> SafeString:
    return mark_safe(  # noqa: S308 - every part but the constant slot is escaped here
        "".join(_BASE_SLOT if part is _BASE else escape(part) for part in parts)
    )


def _relative(url: str) -> str:
    root = reverse("status_page")
    if not url.startswith(root):
        raise RuntimeError(f"{url} is not under the status page's {root}")
    return url[len(root) :]


def embed_snippets(*, kind: str, title: str, badge_url: str, anchor: str) -> dict[str, Any]:
    """A badge's Markdown and HTML, linking to its place on the status page, for display
    (escaped, with the base URL's slot); `badge_url` is the badge's path (reverse())."""
    badge = _relative(badge_url)
    alt = _NOT_TEXT.sub(" ", f"{title} status")
    markdown = _display(
        "[![", _MARKDOWN_SPECIAL.sub(r"\\\1", alt), "](", _BASE, badge, ")](", _BASE, anchor, ")"
    )
    html = _display(
        '<a href="', _BASE, anchor, '"><img src="', _BASE, badge, '" alt="', escape(alt), '"></a>'
    )
    return {
        "key": hashlib.sha256(f"{kind}\0{badge}".encode()).hexdigest()[:16],
        "title": title,
        "preview": badge_url,
        "markdown": markdown,
        "html": html,
    }


def _anchor(prefix: str, upstream_id: str) -> str:
    return f"#{prefix}-{quote(upstream_id, safe='')}"


class Layout:
    """One document, grouped by model and ordered once; its rendered pages."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        groups: dict[str, list[dict]] = defaultdict(list)
        for deployment in doc["deployments"]:
            groups[deployment["model_id"]].append(deployment)
        self.ordered = sorted(
            groups.items(),
            key=lambda item: (
                not any(d["problem"] for d in item[1]),
                (item[1][0].get("model_name") or item[0]).lower(),
            ),
        )
        self.open_all = len(doc["deployments"]) <= 10
        self.overall_embed = embed_snippets(
            kind="overall",
            title="Deployments",
            badge_url=reverse("status_overall_badge"),
            anchor="",
        )
        self.incidents = [
            {
                **incident,
                "started": built.parse_iso(incident["started_at"]),
                "ended": built.parse_iso(incident["ended_at"]),
                "duration": duration(incident["duration_seconds"]),
                "latest_update": _with_time(incident.get("latest_update")),
            }
            for incident in doc["incidents"]
        ]
        maintenance = doc.get("maintenance") or {}
        self.maintenance_active = [_window(w) for w in maintenance.get("active", [])]
        self.maintenance_upcoming = [_window(w) for w in maintenance.get("upcoming", [])]
        self._rendered: dict[tuple, tuple[str, str]] = {}
        self._lock = threading.Lock()

    def num_pages(self, per_page: int) -> int:
        return max(1, math.ceil(len(self.ordered) / per_page))

    def groups(self, page: int, per_page: int, *, stale: bool) -> list[dict[str, Any]]:
        shown = self.ordered[(page - 1) * per_page : page * per_page]
        return [
            {
                "model_id": model_id,
                "model_name": rows[0].get("model_name") or model_id or "(no model)",
                # A badge of its own for a model Pond can name in a URL ("" is no model).
                "embed": embed_snippets(
                    kind="model",
                    title=rows[0].get("model_name") or model_id,
                    badge_url=reverse("status_model_badge", args=[model_id]),
                    anchor=_anchor("model", model_id),
                )
                if model_id
                else None,
                "deployments": [_row(d, stale=stale) for d in rows],
                "problem": any(d["problem"] for d in rows),
                "open": self.open_all or any(d["problem"] or not d["confirmed"] for d in rows),
                "count": len(rows),
            }
            for model_id, rows in shown
        ]

    def rendered(self, key: tuple, render) -> tuple[str, str]:
        found = self._rendered.get(key)
        if found is None:
            found = render()
            with self._lock:
                if len(self._rendered) >= MAX_RENDERED:
                    self._rendered.pop(next(iter(self._rendered)))
                self._rendered[key] = found
        return found


def _window(window: dict | None) -> dict | None:
    """A maintenance window of the document, with its times as datetimes."""
    if window is None:
        return None
    return {**window, "starts": built.parse_iso(window["starts_at"]), "ends": built.parse_iso(window["ends_at"])}


_STATES = dict(IncidentUpdate.STATE_CHOICES)


def _with_time(update: dict | None) -> dict | None:
    if update is None:
        return None
    state = update["state"]
    return {**update, "created": built.parse_iso(update["created_at"]), "state_label": _STATES.get(state, state)}


def _row(deployment: dict, *, stale: bool) -> dict:
    uptime = {key: percent(value) for key, value in deployment["uptime"].items()}
    return {
        **deployment,
        # Under way now (webui.status.maintenance), and time spent in it per range.
        "maintenance_now": _window(deployment.get("maintenance")),
        "maintenance_text": {
            key: duration(seconds) if seconds >= 60 else ""
            for key, seconds in (deployment.get("maintenance_seconds") or {}).items()
        },
        "shown_status": "unknown" if stale else deployment["status"],
        "since_dt": built.parse_iso(deployment["since"]),
        "uptime_text": uptime,
        "embed": embed_snippets(
            kind="deployment",
            title=deployment["name"],
            badge_url=reverse("status_badge", args=[deployment["id"]]),
            anchor=_anchor("deployment", deployment["id"]),
        ),
    }


def percent(value: float | None) -> str:
    if value is None:
        return "no data"
    if value >= 1:
        return "100%"
    # Never round 99.996 % up to a misleading 100 %.
    return f"{math.floor(value * 10000) / 100:.2f}%"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds and minutes < 10 else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def layout(meta: dict[str, Any]) -> Layout:
    # From the document this process already holds (the feed reads it too).
    return snapshot.by_stamp(
        "layout",
        built.DOC_KEY,
        snapshot.stamp_of(meta),
        Layout,
        source=lambda: snapshot.document(meta),
    )


def _head(summary: dict[str, Any], fresh: snapshot.StatusFreshness) -> str:
    if fresh.stale:
        banner, kind = "Status unknown", "warning"
    elif summary["failing"]:
        banner, kind = summary["banner"], "error"
    elif summary["unconfirmed_failing"]:
        banner, kind = summary["banner"], "warning"
    else:
        banner, kind = summary["banner"], "success"
    return render_to_string(
        "status/live_head.html",
        {
            "fresh": fresh,
            "checked_ago": duration(fresh.age_seconds) if fresh.age_seconds is not None else None,
            "banner": banner,
            "banner_kind": kind,
        },
    )


def render(who: Viewer, page: int, *, full: bool, embed: Embed) -> str:
    """The status page (`full`) or its live part, for this viewer kind, now, with this
    viewer's embed URLs."""
    meta = snapshot.meta()
    # The page is shared per viewer kind, share-link holders included: never the detail.
    fresh = snapshot.shown_to(snapshot.freshness(meta), staff=False)
    shape = layout(meta)
    per_page = settings.POND_STATUS_PAGE_SIZE
    page = min(page, shape.num_pages(per_page))
    # Everything the cached output depends on besides the document itself.
    key = (
        full,
        page,
        fresh.stale,
        # The live part too: it carries the operators' maintenance link.
        who.kind,
        per_page,
        settings.POND_STATUS_REFRESH_SECONDS,
        settings.POND_STATUS_CONFIRMATIONS,
        # "failed since 13:18 today" must not outlive the day when the document does.
        datetime.now(UTC).date(),
    )

    def build() -> tuple[str, str]:
        num_pages = shape.num_pages(per_page)
        context = {
            "live_head": mark_safe(_HEAD_SLOT),  # noqa: S308 - a constant comment
            "embed_base": mark_safe(_BASE_SLOT),  # noqa: S308 - a constant comment
            "embed_json": mark_safe(_JSON_SLOT),  # noqa: S308 - a constant comment
            "embed_feed": mark_safe(_BASE_SLOT + "feed.atom"),  # noqa: S308 - constants
            "embed_scope": mark_safe(_SCOPE_SLOT),  # noqa: S308 - a constant comment
            "overall_embed": shape.overall_embed,
            "groups": shape.groups(page, per_page, stale=fresh.stale),
            "stale": fresh.stale,
            "incidents": shape.incidents,
            "maintenance_active": shape.maintenance_active,
            "maintenance_upcoming": shape.maintenance_upcoming,
            "page": page,
            "pages": range(1, num_pages + 1) if num_pages > 1 else (),
            "refresh_seconds": settings.POND_STATUS_REFRESH_SECONDS,
            "confirmations": settings.POND_STATUS_CONFIRMATIONS,
            "viewer": who,
        }
        text = render_to_string("status/page.html" if full else "status/live.html", context)
        before, slot, after = text.partition(_HEAD_SLOT)
        if not slot:
            raise RuntimeError("status template lost its live head slot")
        return before, after

    before, after = shape.rendered(key, build)
    text = before + _head(shape.doc["summary"], fresh) + after
    # The base is an absolute URL from reverse() on a validated host: nothing to escape
    # in practice, escaped all the same (it sits in attributes and in displayed snippets).
    text = text.replace(_BASE_SLOT, escape(embed.base)).replace(_JSON_SLOT, escape(embed.json_url))
    return text.replace(_SCOPE_SLOT, _scope_note(embed)) if full else text
