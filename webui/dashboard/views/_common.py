"""Small helpers shared by the dashboard's views (request parsing)."""

from __future__ import annotations

from collections.abc import Sequence

from django import forms
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, QueryDict

from webui.jfrogml.services import COMPARE_MAX as MAX_COMPARE
from webui.jfrogml.services import COMPARE_MIN as MIN_COMPARE


def cleaned_or_default(form: forms.Form) -> dict:
    """A GET filter form's values, with each invalid field replaced by its default.

    The page still renders (with the error shown on the field) instead of failing.
    """
    form.is_valid()
    values = {}
    for name, field in form.fields.items():
        if name in form.errors:
            values[name] = field.initial if field.initial is not None else ""
        else:
            value = form.cleaned_data.get(name)
            values[name] = value if value not in (None, "") else (field.initial if field.initial is not None else "")
    return values


def selected_ids(query: QueryDict, key: str) -> tuple[list[str], str]:
    """The distinct ids given as `?key=..&key=..`, and an error message if not 2..10."""
    ids: list[str] = []
    for raw in query.getlist(key):
        for value in raw.split(","):
            value = value.strip()
            if value and value not in ids:
                ids.append(value)
    if len(ids) < MIN_COMPARE:
        return ids, f"Pick at least {MIN_COMPARE} to compare (you picked {len(ids)})."
    if len(ids) > MAX_COMPARE:
        return ids, f"Pick at most {MAX_COMPARE} to compare (you picked {len(ids)})."
    return ids, ""


LIST_PAGE_SIZE = 50


def page_of(request: HttpRequest, items: Sequence, *, per_page: int = LIST_PAGE_SIZE) -> Page:
    """One page of a long list, from `?page=`; a bad or out-of-range page gives the nearest.

    Lists of every experiment or deployment reach thousands of rows at scale; a page
    renders a screenful, not all of them.
    """
    return Paginator(items, per_page).get_page(request.GET.get("page"))
