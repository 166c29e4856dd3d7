"""What the navigation shows of the reviews on every page: the pending count."""

from __future__ import annotations

from django.http import HttpRequest

from webui.reviews.selectors import pending_count


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"pending_reviews": pending_count()}
