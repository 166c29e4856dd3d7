"""Models and their versions: list, detail, compare, and their forms."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from webui.core.exports import csv_response
from webui.core.pagecache import cached_page
from webui.dashboard.charts import Point, bar_chart
from webui.dashboard.decorators import authorize, upstream_page
from webui.dashboard.forms import RegistryModelForm, VersionForm, add_upstream_errors
from webui.dashboard.views._common import cleaned_or_default, selected_ids
from webui.jfrogml import services
from webui.jfrogml.errors import JFrogMLError, NotFound
from webui.jfrogml.resources import VERSION_STATUSES

# The service's sort keys: "updated" and "versions" put the most recent / most first.
MODEL_SORTS = [
    ("name", "Name (A–Z)"),
    ("-name", "Name (Z–A)"),
    ("updated", "Recently updated"),
    ("-updated", "Least recently updated"),
    ("versions", "Most versions"),
    ("-versions", "Fewest versions"),
    ("framework", "Framework"),
]
PER_PAGE = 25


class ModelFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200)
    framework = forms.CharField(required=False, max_length=100)
    task_type = forms.CharField(label="Task type", required=False, max_length=100)
    tag = forms.CharField(required=False, max_length=100)
    sort = forms.ChoiceField(choices=MODEL_SORTS, required=False, initial="name")
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000, initial=1)


class VersionFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", "All statuses"), *((s, s) for s in VERSION_STATUSES)], required=False
    )
    metric = forms.CharField(required=False, max_length=200)


@require_GET
@login_required
@cached_page
@upstream_page
def model_list(request: HttpRequest) -> HttpResponse:
    form = ModelFilterForm(request.GET)
    params = cleaned_or_default(form)
    data = services.model_list(
        q=params["q"],
        framework=params["framework"],
        task_type=params["task_type"],
        tag=params["tag"],
        sort=params["sort"],
        page=params["page"],
        per_page=PER_PAGE,
    )
    if request.GET.get("format") == "csv":
        return csv_response(
            "models.csv",
            ["id", "name", "framework", "task_type", "tags", "latest_version", "versions_count", "deployment_status", "updated_at"],
            (
                [
                    row.model.id,
                    row.model.name,
                    row.model.framework,
                    row.model.task_type,
                    " ".join(row.model.tags),
                    row.model.latest_version,
                    row.model.versions_count,
                    row.deployment_status.label,
                    row.model.updated_at.isoformat() if row.model.updated_at else "",
                ]
                for row in data.rows
            ),
        )
    return render(
        request,
        "dashboard/model_list.html",
        {"data": data, "form": form, "params": params, "sorts": MODEL_SORTS},
    )


@require_GET
@login_required
@cached_page
@upstream_page
def model_detail(request: HttpRequest, model_id: str) -> HttpResponse:
    data = services.model_overview(model_id=model_id)
    form = VersionFilterForm(request.GET)
    params = cleaned_or_default(form)
    versions = list(data.versions)
    if params["status"]:
        versions = [v for v in versions if v.status == params["status"]]
    metric_names = list(data.metric_names)
    key_metrics = metric_names[:6]
    if request.GET.get("format") == "csv":
        return csv_response(
            f"model-{model_id}-versions.csv",
            ["id", "version", "status", "created_at", "artifact_path", *metric_names],
            (
                [
                    v.id,
                    v.version,
                    v.status,
                    v.created_at.isoformat() if v.created_at else "",
                    v.artifact_path,
                    *(v.metrics.get(m, "") for m in metric_names),
                ]
                for v in versions
            ),
        )
    metric = params["metric"] if params["metric"] in metric_names else (metric_names[0] if metric_names else "")
    return render(
        request,
        "dashboard/model_detail.html",
        {
            "data": data,
            "model": data.model,
            "versions": versions,
            "key_metrics": key_metrics,
            "form": form,
            "params": params,
            "metric": metric,
            "metric_names": metric_names,
            "version_names": {v.id: v.label for v in data.versions},
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
@authorize("dashboard.change_registry")
@upstream_page
def model_create(request: HttpRequest) -> HttpResponse:
    form = RegistryModelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            model = services.model_create(**form.cleaned_data)
        except JFrogMLError as exc:
            add_upstream_errors(form, exc)
        else:
            messages.success(request, f"Model “{model.display_name}” created.")
            return redirect("model_detail", model_id=model.id)
    return render(request, "dashboard/model_form.html", {"form": form, "model": None})


@require_http_methods(["GET", "POST"])
@login_required
@authorize("dashboard.change_registry")
@upstream_page
def model_edit(request: HttpRequest, model_id: str) -> HttpResponse:
    if request.method == "POST":
        form = RegistryModelForm(request.POST)
        if form.is_valid():
            try:
                services.model_update(model_id=model_id, **form.cleaned_data)
            except JFrogMLError as exc:
                add_upstream_errors(form, exc)
            else:
                messages.success(request, f"Model “{form.cleaned_data['name']}” saved.")
                return redirect("model_detail", model_id=model_id)
        return render(request, "dashboard/model_form.html", {"form": form, "model_id": model_id})
    model = services.model_overview(model_id=model_id).model
    form = RegistryModelForm(
        initial={
            "name": model.name,
            "description": model.description,
            "framework": model.framework,
            "task_type": model.task_type,
            "tags": ", ".join(model.tags),
        }
    )
    return render(request, "dashboard/model_form.html", {"form": form, "model": model, "model_id": model_id})


@require_http_methods(["GET", "POST"])
@login_required
@authorize("dashboard.change_registry")
@upstream_page
def model_delete(request: HttpRequest, model_id: str) -> HttpResponse:
    if request.method == "POST":
        try:
            services.model_delete(model_id=model_id)
        except NotFound:
            messages.info(request, "That model was already deleted.")
        except JFrogMLError as exc:
            messages.error(request, f"The model was not deleted: {exc.message}")
            return redirect("model_detail", model_id=model_id)
        else:
            messages.success(request, "Model deleted, with all its versions.")
        return redirect("model_list")
    data = services.model_overview(model_id=model_id)
    return render(
        request,
        "dashboard/confirm_delete.html",
        {
            "data": data,
            "what": "model",
            "name": data.model.display_name,
            "consequence": f"This deletes the model and all its {len(data.versions)} versions.",
            "cancel_url": reverse("model_detail", args=[model_id]),
        },
    )


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
                messages.success(request, f"Version “{version.label}” created as draft.")
                return redirect("version_detail", model_id=model_id, version_id=version.id)
        return render(request, "dashboard/version_form.html", {"form": form, "model_id": model_id})
    model = services.model_overview(model_id=model_id).model
    return render(
        request, "dashboard/version_form.html", {"form": VersionForm(), "model": model, "model_id": model_id}
    )


@require_GET
@login_required
@cached_page
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
            "compare_with": production[:1],
            "version_names": {data.version.id: data.version.label},
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
@authorize("dashboard.change_registry")
@upstream_page
def version_delete(request: HttpRequest, model_id: str, version_id: str) -> HttpResponse:
    if request.method == "POST":
        try:
            services.version_delete(model_id=model_id, version_id=version_id)
        except NotFound:
            messages.info(request, "That version was already deleted.")
        except JFrogMLError as exc:
            messages.error(request, f"The version was not deleted: {exc.message}")
            return redirect("version_detail", model_id=model_id, version_id=version_id)
        else:
            messages.success(request, "Version deleted.")
        return redirect("model_detail", model_id=model_id)
    data = services.version_detail(model_id=model_id, version_id=version_id)
    return render(
        request,
        "dashboard/confirm_delete.html",
        {
            "data": data,
            "what": "version",
            "name": f"{data.model.display_name} {data.version.label}",
            "consequence": "This deletes the version and its metrics."
            + (f" {len(data.deployments)} deployment(s) serve it." if data.deployments else ""),
            "cancel_url": reverse("version_detail", args=[model_id, version_id]),
        },
    )


@require_GET
@login_required
@cached_page
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
    return _render_compare(request, data, items, kind="versions", back_url=reverse("model_detail", args=[model_id]), title=data.model.display_name)


def _render_compare(request: HttpRequest, data, items, *, kind: str, back_url: str, title: str) -> HttpResponse:
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
