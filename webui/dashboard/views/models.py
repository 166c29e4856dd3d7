"""Models: list, detail and their forms; what a delete must not do to live deployments
(shared with the versions' views)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from webui.activity.models import Activity
from webui.activity.observed import SeenVersion, standing, unexplained, versions_seen
from webui.activity.services import activity_record, creators, edits, fit_text, jsonable
from webui.core.decorators import authorize, upstream_page
from webui.core.exports import csv_response
from webui.dashboard.forms import (
    DestructiveForm,
    RegistryModelForm,
    add_upstream_errors,
)
from webui.dashboard.views._common import cleaned_or_default
from webui.insights import panels
from webui.jfrogml import capabilities, services
from webui.jfrogml.errors import JFrogMLError, NotFound
from webui.jfrogml.resources import VERSION_STATUSES
from webui.reviews.effective import versions_effective_status
from webui.reviews.selectors import ledger_for_versions

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
# A deployment in any status but these may be serving (active, deploying, one the spec
# does not know): stopping it takes an explicit choice.
NOT_LIVE_STATUSES = ("stopped", "failed")


def is_live(deployment) -> bool:
    return (deployment.status or "") not in NOT_LIVE_STATUSES


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
    applied = ledger_for_versions(model_id=model_id)
    return render(
        request,
        "dashboard/model_detail.html",
        {
            "data": data,
            "model": data.model,
            "observed": observed_changes(data.model, data.versions),
            "creator": creators(Activity.MODEL, [model_id]).get(model_id),
            "versions": versions,
            "key_metrics": key_metrics,
            "form": form,
            "params": params,
            "metric": metric,
            "metric_names": metric_names,
            "version_names": {v.id: v.label for v in data.versions},
            # Pond's record of the versions, read once for their statuses and the trend.
            "statuses": versions_effective_status(versions=versions, ledger_entries=applied),
            "trend": panels.metric_trend(
                data=data, metric=metric, ledger_entries=applied, query=request.GET, param="metric"
            ),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
@authorize("dashboard.change_registry")
@upstream_page
def model_create(request: HttpRequest) -> HttpResponse:
    form = RegistryModelForm(request.POST or None, upstream=capabilities.current())
    if request.method == "POST" and form.is_valid():
        try:
            model = services.model_create(**form.cleaned_data)
        except JFrogMLError as exc:
            add_upstream_errors(form, exc)
        else:
            activity_record(
                user=request.user, action=Activity.CREATED, kind=Activity.MODEL, object_id=model.id,
                object_name=model.display_name, model_id=model.id, model_name=model.display_name,
                changes=jsonable(form.cleaned_data),
            )  # fmt: skip
            messages.success(request, f"Model “{model.display_name}” created.")
            return redirect("model_detail", model_id=model.id)
    return render(request, "dashboard/model_form.html", {"form": form, "model": None})


@require_http_methods(["GET", "POST"])
@login_required
@authorize("dashboard.change_registry")
@upstream_page
def model_edit(request: HttpRequest, model_id: str) -> HttpResponse:
    if request.method == "POST":
        form = RegistryModelForm(request.POST, upstream=capabilities.current(), editing=True)
        if form.is_valid():
            try:
                # The record says what changed from what JFrog ML held, not from a cached page.
                before, _ = services.model_read_fresh(model_id=model_id)
                changes = edits(_model_fields(before), jsonable(form.cleaned_data))
                if changes:
                    services.model_update(model_id=model_id, **form.cleaned_data)
            except JFrogMLError as exc:
                add_upstream_errors(form, exc)
            else:
                if not changes:  # nothing to write, and nothing to put on the record
                    messages.info(request, "Nothing changed: the model was not saved.")
                    return redirect("model_detail", model_id=model_id)
                activity_record(
                    user=request.user, action=Activity.EDITED, kind=Activity.MODEL, object_id=model_id,
                    object_name=form.cleaned_data["name"], model_id=model_id, model_name=form.cleaned_data["name"],
                    changes=changes,
                )  # fmt: skip
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
        },
        upstream=capabilities.current(),
        editing=True,
    )
    return render(request, "dashboard/model_form.html", {"form": form, "model": model, "model_id": model_id})


@require_http_methods(["GET", "POST"])
@login_required
@authorize("dashboard.change_registry")
@upstream_page
def model_delete(request: HttpRequest, model_id: str) -> HttpResponse:
    """Delete a model: its blast radius first, its name typed, live deployments stopped
    only by explicit choice, and never while a version of it is in production."""
    try:
        data = services.model_overview(model_id=model_id)
    except NotFound:
        messages.info(request, "That model was already deleted.")
        return redirect("model_list")
    live = [d for d in data.deployments if is_live(d)]
    form = DestructiveForm(
        request.POST if request.method == "POST" else None,
        expected_name=data.model.display_name,
        live=len(live),
        live_label=f"Stop its {len(live)} live deployment{'s' if len(live) != 1 else ''} as part of this delete",
    )
    blind = cannot_see_deployments(data)
    production_versions = in_production(model_id, data.versions, data.production_versions)
    if request.method == "POST" and not production_versions and not blind and form.is_valid():
        stopped = stop_all(request, live, data.model, reason="stopped to delete its model")
        if stopped is None:
            return redirect("model_detail", model_id=model_id)
        try:
            services.model_delete(model_id=model_id)
        except NotFound:
            messages.info(request, "That model was already deleted.")
            return redirect("model_list")
        except JFrogMLError as exc:
            messages.error(request, f"The model was not deleted: {exc.message}")
            return redirect("model_detail", model_id=model_id)
        activity_record(
            user=request.user, action=Activity.DELETED, kind=Activity.MODEL, object_id=model_id,
            object_name=data.model.display_name, model_id=model_id, model_name=data.model.display_name,
            details={
                "versions": [f"{v.label} ({v.status or 'unknown'})" for v in data.versions],
                "deployments": [f"{d.name or d.id} ({d.status or 'unknown'})" for d in data.deployments],
                "deployments_stopped": [d.name or d.id for d in stopped],
                "experiments_detached": len(data.experiments),
            },
        )  # fmt: skip
        messages.success(request, "Model deleted, with all its versions and deployments.")
        return redirect("model_list")
    # An invalid form is shown again with its inline errors (200, as every form here);
    # a delete refused by the production rule is a conflict.
    status = 409 if request.method == "POST" and (production_versions or blind) else 200
    return render(
        request,
        "dashboard/confirm_delete.html",
        {
            "data": data,
            "form": form,
            "what": "model",
            "name": data.model.display_name,
            "consequence": "This deletes the model, all its versions and all its deployments.",
            "blocked": production_block(production_versions, model_id) or blind,
            "versions": data.versions,
            "deployments": data.deployments,
            "experiments": data.experiments,
            "cancel_url": reverse("model_detail", args=[model_id]),
        },
        status=status,
    )


def observed_changes(model, versions) -> dict[str, Activity]:
    """Versions whose status was changed outside Pond (noticed here if not before),
    by id: the observed change that still explains each one's status today.

    The page is a sighting as of when its version list was fetched, if the list kept
    now is the one it showed: data older than the last sighting is no news
    (webui.activity.observed)."""
    versions = list(versions)
    as_of, kept = services.versions_as_of(model_id=model.id)
    if as_of is not None and all(kept.get(str(v.id), "") == (v.status or "") for v in versions):
        versions_seen(
            SeenVersion(model.id, model.display_name, v.id, v.label, v.status or "", as_of=as_of) for v in versions
        )
    flagged = unexplained(version_ids=[v.id for v in versions])
    return {v.id: row for v in versions if (row := standing(flagged.get(fit_text(v.id)), v.status or ""))}


def in_production(model_id: str, versions, upstream_production) -> list:
    """The versions in production: JFrog ML's word, or Pond's ledger where the upstream
    has no version status (the JFrog ML platform), so a delete guard holds on both."""
    if capabilities.current().version_status:
        return list(upstream_production)
    statuses = versions_effective_status(versions=versions, ledger_entries=ledger_for_versions(model_id=model_id))
    return [v for v in versions if statuses[str(v.id)].status == "production"]


def production_block(production_versions, model_id: str) -> dict | None:
    """Why a delete is refused while a version is in production, and where to go instead."""
    if not production_versions:
        return None
    version = production_versions[0]
    return {
        "message": (
            f"Version {version.label} is in production: it leaves production only through a review. "
            "Request its move to archived first; once approved, it can be deleted."
        ),
        "url": reverse("reviews:request_new", args=[model_id, version.id]),
        "label": "Request the move to archived",
    }


def cannot_see_deployments(data) -> dict | None:
    """A destructive action waits while Pond cannot see the deployments live: they are what
    it would take down, and an outage answers with none (or with an old list)."""
    if not (data.freshness.stale or data.freshness.error):
        return None
    return {
        "message": (
            "Pond cannot see this model's deployments as they are right now (JFrog ML is not answering "
            "as expected), so it cannot tell what this would take down. Try again in a moment."
        ),
        "url": reverse("model_detail", args=[data.model.id]),
        "label": "Back to the model",
    }


def stop_all(request: HttpRequest, live, model, *, reason: str) -> list | None:
    """Stop each live deployment (recorded); None, with a message, if one could not be stopped."""
    stopped = []
    for deployment in live:
        try:
            services.deployment_delete(deployment_id=deployment.id)
        except NotFound:
            continue  # gone meanwhile: nothing to stop
        except JFrogMLError as exc:
            messages.error(request, f"Deployment {deployment.name or deployment.id} was not stopped: {exc.message}")
            return None
        stopped.append(deployment)
        record_stop(request, deployment, model, reason=reason)
    return stopped


def record_stop(request: HttpRequest, deployment, model, *, reason: str) -> None:
    activity_record(
        user=request.user, action=Activity.STOPPED, kind=Activity.DEPLOYMENT, object_id=deployment.id,
        object_name=deployment.name or deployment.id, model_id=model.id, model_name=model.display_name,
        details={"status_before": deployment.status, "reason": reason},
    )  # fmt: skip


def _model_fields(model) -> dict:
    return jsonable(
        {
            "name": model.name,
            "description": model.description,
            "framework": model.framework,
            "task_type": model.task_type,
            "tags": list(model.tags),
        }
    )


