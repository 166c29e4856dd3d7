"""Thin views: parse the query string, load the estate once, select, render HTML or JSON."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from webui.insights import export, selectors
from webui.insights.sources import Estate, estate_load
from webui.jfrogml.errors import JFrogMLError

log = logging.getLogger("pond.insights")

PER_PAGE = 50
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


FINDINGS_SHOWN = 50
ROWS_SHOWN = 100
RESOURCE_TABLES = ("model", "tag", "deployment")


class BadQuery(Exception):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def _format(request: HttpRequest) -> str:
    value = request.GET.get("format", "").strip().lower()
    if value not in ("", "html", "json"):
        raise BadQuery("format", f"Unknown format “{value}”; use html or json.")
    return value or "html"


def _flag(request: HttpRequest, name: str) -> bool:
    value = request.GET.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise BadQuery(name, f"“{value}” is not a yes/no value; use 1 or 0.")


def _page(request: HttpRequest) -> int:
    raw = request.GET.get("page", "").strip() or "1"
    try:
        page = int(raw)
    except ValueError:
        raise BadQuery("page", f"“{raw}” is not a whole number.") from None
    if page < 1:
        raise BadQuery("page", "Must be 1 or more.")
    return page


def _wants_json(request: HttpRequest) -> bool:
    return request.GET.get("format", "").strip().lower() == "json"


def _insight_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A bad query string is a 400 naming the field; JFrog ML failing with nothing
    cached is a 503 that says so; never a 500."""

    def wrapper(request: HttpRequest) -> HttpResponse:
        try:
            return view(request)
        except BadQuery as exc:
            if _wants_json(request):
                return JsonResponse({"errors": {exc.field: [exc.message]}}, status=400)
            return render(request, "insights/bad_query.html", {"field": exc.field, "message": exc.message}, status=400)
        except JFrogMLError as exc:
            log.warning("insight %s failed upstream: %s", request.path, exc)
            if _wants_json(request):
                return JsonResponse({"error": f"JFrog ML is not answering: {exc.message}"}, status=503)
            return render(request, "dashboard/unavailable.html", {"error": exc.message}, status=503)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _meta(estate: Estate) -> dict:
    return {
        "generated_at": estate.now.isoformat(),
        "freshness": export.freshness(estate.freshness),
        "catalog_complete": estate.catalog_complete,
        "deployments_known": estate.deployments_known,
        "errors": estate.errors,
    }


@require_GET
@login_required
@_insight_page
def production(request: HttpRequest) -> HttpResponse:
    fmt = _format(request)
    only_problems = _flag(request, "problems")
    page = _page(request)
    estate = estate_load()
    truth = selectors.production_truth(estate, only_problems=only_problems)
    num_pages = max(1, math.ceil(len(truth.rows) / PER_PAGE))
    page = min(page, num_pages)
    rows = truth.rows[(page - 1) * PER_PAGE : page * PER_PAGE]
    if fmt == "json":
        return JsonResponse(
            {
                **_meta(estate),
                "only_problems": only_problems,
                "total_models": truth.total_models,
                "problem_models": truth.problem_models,
                "flag_counts": truth.flag_counts,
                "page": page,
                "num_pages": num_pages,
                "rows": [export.production_row(r) for r in rows],
            }
        )
    return render(
        request,
        "insights/production.html",
        {
            "data": estate,
            "truth": truth,
            "rows": rows,
            "only_problems": only_problems,
            "page": page,
            "num_pages": num_pages,
        },
    )


@require_GET
@login_required
@_insight_page
def hygiene(request: HttpRequest) -> HttpResponse:
    fmt = _format(request)
    estate = estate_load(with_experiments=True)
    report = selectors.hygiene(estate)
    if fmt == "json":
        return JsonResponse({**_meta(estate), **export.hygiene(report)})
    # At thousands of models a section can hold thousands of findings: each shows its
    # first few, and all of one section on asking (the JSON always has every one).
    show_all = request.GET.get("all", "").strip()
    if show_all and show_all not in {s.code for s in report.sections}:
        raise BadQuery("all", f"“{show_all[:50]}” is not a section of this page.")
    sections = [(s, s.findings if s.code == show_all else s.findings[:FINDINGS_SHOWN]) for s in report.sections]
    return render(request, "insights/hygiene.html", {"data": estate, "report": report, "sections": sections})


@require_GET
@login_required
@_insight_page
def resources(request: HttpRequest) -> HttpResponse:
    fmt = _format(request)
    estate = estate_load()
    report = selectors.resource_report(estate)
    if fmt == "json":
        return JsonResponse({**_meta(estate), **export.resources(report)})
    # Each table shows its first rows, and all of one table on asking.
    show_all = request.GET.get("all", "").strip()
    if show_all and show_all not in RESOURCE_TABLES:
        raise BadQuery("all", f"“{show_all[:50]}” is not a table of this page.")

    def shown(kind: str, rows: list) -> list:
        return rows if kind == show_all else rows[:ROWS_SHOWN]

    totals = [(title, rows, kind, shown(kind, rows)) for title, rows, kind in
              (("Per model", report.by_model, "model"), ("Per tag", report.by_tag, "tag"))]
    context = {"data": estate, "report": report, "totals": totals,
               "deployments_shown": shown("deployment", report.deployments)}
    return render(request, "insights/resources.html", context)
