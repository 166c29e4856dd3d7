"""Template helpers for Pond's pages: badges, safe links, freshness, numbers."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince

from webui.jfrogml.resources import VERSION_STATUSES

register = template.Library()

KNOWN_STATUSES = {
    "deploying", "active", "stopped", "failed",  # deployments
    *VERSION_STATUSES,
    "running", "completed", "cancelled",  # experiments
}


@register.filter
def status_css(status: Any) -> str:
    """The badge modifier for a status; anything unexpected gets the neutral one."""
    value = str(status or "").lower()
    return value if value in KNOWN_STATUSES else "unknown"


@register.simple_tag
def status_badge(status: Any, deployment_id: str = "") -> SafeString:
    """A status badge; with a deployment id, pond.js keeps it live."""
    label = str(status) if status else "unknown"
    if deployment_id:
        return format_html(
            '<span class="badge badge-{}" data-deployment-status="{}">{}</span>',
            status_css(status),
            deployment_id,
            label,
        )
    return format_html('<span class="badge badge-{}">{}</span>', status_css(status), label)


@register.filter
def safe_href(url: Any) -> str:
    """The URL when it is http(s) and so safe to make clickable, else ''.

    Upstream data may carry `javascript:` or `data:` URLs; those are shown as
    text, never as links.
    """
    text = str(url or "").strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    if parts.scheme.lower() in {"http", "https"} and parts.netloc and text == str(url):
        return text
    return ""


@register.filter
def num(value: Any) -> str:
    """A metric value: compact but exact enough to compare."""
    if isinstance(value, bool) or value is None or value == "":
        return "—" if value in (None, "") else str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:.6g}"
    return str(value)


@register.filter
def plain(value: Any) -> str:
    """A recorded value as text: mappings as k=v, lists comma-separated, "—" for nothing."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}={num(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(plain(v) for v in value)
    return num(value)


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """`mapping[key]` or None, for dicts keyed by runtime values."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def contains(collection: Any, item: Any) -> bool:
    try:
        return item in collection
    except TypeError:
        return False


@register.filter
def ago(when: datetime | None) -> str:
    """ "3 minutes ago", or "—" when the time is unknown."""
    if not isinstance(when, datetime):
        return "—"
    if timezone.is_naive(when):
        when = timezone.make_aware(when, UTC)
    delta = timezone.now() - when
    if delta < timedelta(seconds=60):
        return "just now"
    return f"{timesince(when, timezone.now())} ago"


@register.filter
def since(when: datetime | None, now: datetime | None = None) -> SafeString | str:
    """How long a deployment has been as it is, said the same way on every page:
    "since 13:18 today", "since 09:02 yesterday", "since 2 Dec", "since 2 Dec 2025".

    Times are UTC, as everywhere in Pond; the exact instant is in the `<time>`'s
    datetime and its title. "—" when the time is unknown.
    """
    if not isinstance(when, datetime):
        return "—"
    if timezone.is_naive(when):
        when = timezone.make_aware(when, UTC)
    when = when.astimezone(UTC)
    today = (now or timezone.now()).astimezone(UTC).date()
    if when.date() == today:
        text = f"{when:%H:%M} today"
    elif when.date() == today - timedelta(days=1):
        text = f"{when:%H:%M} yesterday"
    elif when.year == today.year:
        text = f"{when.day} {when:%b}"
    else:
        text = f"{when.day} {when:%b %Y}"
    return format_html(
        'since <time datetime="{}" title="{} UTC">{}</time>',
        when.isoformat(timespec="seconds"),
        f"{when:%Y-%m-%d %H:%M:%S}",
        text,
    )


@register.filter
def duration(seconds: Any) -> str:
    """A human duration from seconds (or a timedelta)."""
    if isinstance(seconds, timedelta):
        seconds = seconds.total_seconds()
    if not isinstance(seconds, int | float) or seconds < 0:
        return "—"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


@register.filter
def freshness_text(freshness: Any) -> str:
    """ "as of 2 minutes ago" (with the upstream problem when there is one)."""
    if freshness is None:
        return ""
    age = getattr(freshness, "age_seconds", None)
    if age is None:
        text = "no data fetched yet"
    elif age < 60:
        text = "as of just now" if age < 5 else f"as of {int(age)} seconds ago"
    else:
        text = f"as of {timesince(timezone.now() - timedelta(seconds=age), timezone.now())} ago"
    if getattr(freshness, "stale", False) or getattr(freshness, "error", None):
        text += " — JFrog ML is not answering"
    return text


@register.simple_tag
def role_of(user: Any) -> str:
    """The user's strongest role, for the navigation."""
    from webui.core.roles import role_of as _role_of

    return _role_of(user)


@register.simple_tag
def poll_interval() -> str:
    """How often pages re-read deployment status (seconds): the poller's pace, at most 5 s."""
    from django.conf import settings

    return f"{min(float(getattr(settings, 'POND_POLL_INTERVAL', 5.0)), 5.0):g}"
