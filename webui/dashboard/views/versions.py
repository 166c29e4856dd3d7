"""Versions: create, detail, delete, and comparing a model's versions side by side."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from webui.activity.models import Activity
from webui.activity.services import activity_record, creators, jsonable
from webui.core.decorators import authorize, upstream_page
from webui.dashboard.charts import Point, bar_chart
from webui.dashboard.forms import (
    DestructiveForm,
    VersionForm,
    add_upstream_errors,
)
from webui.dashboard.views._common import selected_ids
from webui.dashboard.views.models import (
    cannot_see_deployments,
    is_live,
    observed_changes,
    production_block,
    stop_all,
)
from webui.dashboard.views.models import in_production as production_of
from webui.jfrogml import services
from webui.jfrogml.errors import JFrogMLError, NotFound
from webui.reviews.selectors import version_promotions


def model_name_for(model_id: str) -> str:
    """The model's name for the record (from the cached model page; "" if unreadable)."""
    try:
        return services.model_overview(model_id=model_id).model.display_name
    except JFrogMLError:
        return ""


@require_http_methods(["GET", "POST"])
@login_required
@authorize("dashboard.change_registry")
@upstream_page
def version_create(request: HttpRequest, model_id: str) -> HttpResponse:
    if request.method == "POST":
        form = VersionForm(request.POST)
        if form.is_valid():
            try:
                version = services.version_create(model_id=model_id, **form.cleaned_data)
            except JFrogMLError as exc:
                add_upstream_errors(form, exc)
            else:
                activity_record(
                    user=request.user, action=Activity.CREATED, kind=Activity.VERSION, object_id=version.id,
                    object_name=version.label, model_id=model_id, model_name=model_name_for(model_id),
                    changes=jsonable(form.cleaned_data),
                )  # fmt: skip
                messages.success(request, f"Version “{version.label}” created as draft.")
                return redirect("version_detail", model_id=model_id, version_id=version.id)
        return render(request, "dashboard/version_form.html", {"form": form, "model_id": model_id})
    model = services.model_overview(model_id=model_id).model
    return render(
        request, "dashboard/version_form.html", {"form": VersionForm(), "model": model, "model_id": model_id}
    )


@require_GET
@login_required
@upstream_page
def version_detail(request: HttpRequest, model_id: str, version_id: str) -> HttpResponse:
    data = services.version_detail(model_id=model_id, version_id=version_id)
    production = [v.id for v in data.production_versions if v.id != version_id]
    return render(
        request,
        "dashboard/version_detail.html",
        {
            "data": data,
            "model": data.model,
            "version": data.version,
            "creator": creators(Activity.VERSION, [version_id]).get(version_id),
            "observed_list": list(observed_changes(data.model, [data.version]).values()),
            "compare_with": production[:1],
            "version_names": {data.version.id: data.version.label},
            "promotions": version_promotions(model_id=model_id, version=data.version),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
@authorize("dashboard.change_registry")
@upstream_page
def version_delete(request: HttpRequest, model_id: str, version_id: str) -> HttpResponse:
    """Delete a version: never one in production (it leaves production through a review),
    and live deployments serving it stop only by explicit choice."""
    try:
        data = services.version_detail(model_id=model_id, version_id=version_id)
    except NotFound:
        messages.info(request, "That version was already deleted.")
        return redirect("model_detail", model_id=model_id)
    live = [d for d in data.deployments if is_live(d)]
    form = DestructiveForm(
        request.POST if request.method == "POST" else None,
        live=len(live),
        live_label=f"Stop the {len(live)} live deployment{'s' if len(live) != 1 else ''} serving it as part of this delete",
    )
    upstream_says = [data.version] if data.version.status == "production" else []
    in_production = production_of(model_id, [data.version], upstream_says)
    blind = cannot_see_deployments(data)
    if request.method == "POST" and not in_production and not blind and form.is_valid():
        stopped = stop_all(request, live, data.model, reason="stopped to delete the version it served")
        if stopped is None:
            return redirect("version_detail", model_id=model_id, version_id=version_id)
        try:
            services.version_delete(model_id=model_id, version_id=version_id)
        except NotFound:
            messages.info(request, "That version was already deleted.")
            return redirect("model_detail", model_id=model_id)
        except JFrogMLError as exc:
            messages.error(request, f"The version was not deleted: {exc.message}")
            return redirect("version_detail", model_id=model_id, version_id=version_id)
        activity_record(
            user=request.user, action=Activity.DELETED, kind=Activity.VERSION, object_id=version_id,
            object_name=data.version.label, model_id=model_id, model_name=data.model.display_name,
            details={
                "status": data.version.status,
                "deployments": [f"{d.name or d.id} ({d.status or 'unknown'})" for d in data.deployments],
                "deployments_stopped": [d.name or d.id for d in stopped],
            },
        )  # fmt: skip
        messages.success(request, "Version deleted.")
        return redirect("model_detail", model_id=model_id)
    status = 409 if request.method == "POST" and (in_production or blind) else 200
    return render(
        request,
        "dashboard/confirm_delete.html",
        {
            "data": data,
            "form": form,
            "what": "version",
            "name": f"{data.model.display_name} {data.version.label}",
            "consequence": "This deletes the version and its metrics.",
            "blocked": production_block(in_production, model_id) or blind,
            "deployments": data.deployments,
            "cancel_url": reverse("version_detail", args=[model_id, version_id]),
        },
        status=status,
    )


@require_GET
@login_required
@upstream_page
def versions_compare(request: HttpRequest, model_id: str) -> HttpResponse:
    ids, problem = selected_ids(request.GET, "v")
    if problem:
        return render(
            request,
            "dashboard/compare.html",
            {"problem": problem, "kind": "versions", "back_url": reverse("model_detail", args=[model_id])},
            status=400,
        )
    data = services.versions_compare(model_id=model_id, version_ids=ids)
    items = [(v.id, v.label, v.metrics, v.parameters, v.status) for v in data.versions]
    return render_compare(request, data, items, kind="versions", back_url=reverse("model_detail", args=[model_id]), title=data.model.display_name)


def render_compare(request: HttpRequest, data, items, *, kind: str, back_url: str, title: str) -> HttpResponse:
    """Shared by versions and experiments: the table, the diff toggle, the chart."""
    only_diff = request.GET.get("diff") in {"1", "on", "true"}
    metric_names = list(data.metric_names)
    param_names = list(data.param_names)
    differs = data.differs
    if only_diff:
        metric_names = [m for m in metric_names if m in differs["metrics"]]
        param_names = [p for p in param_names if p in differs["parameters"]]
    best = dict(data.best or {})
    metric = request.GET.get("metric") or ""
    if metric not in data.metric_names:
        metric = next(iter(best), metric_names[0] if metric_names else "")
    chart = bar_chart(
        [Point(label, m[metric], marked=best.get(metric) == m[metric]) for _, label, m, _, _ in items if metric in m],
        title=f"{metric} by {kind[:-1]}",
    ) if metric else ""
    return render(
        request,
        "dashboard/compare.html",
        {
            "data": data,
            "kind": kind,
            "title": title,
            "items": items,
            "metric_names": metric_names,
            "param_names": param_names,
            "all_metric_names": list(data.metric_names),
            "best": best,
            "differs": differs,
            "only_diff": only_diff,
            "metric": metric,
            "chart": chart,
            "back_url": back_url,
        },
    )
