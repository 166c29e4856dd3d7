"""Deployments: list, detail with live status, create (model, then version), delete."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from webui.activity.models import Activity
from webui.activity.services import activity_record, edits
from webui.core.decorators import authorize, upstream_page
from webui.dashboard.forms import (
    DeploymentForm,
    DeploymentUpdateForm,
    DestructiveForm,
    add_upstream_errors,
)
from webui.dashboard.models import DeploymentResources
from webui.dashboard.templatetags.pond import freshness_text, status_css
from webui.dashboard.views._common import page_of
from webui.dashboard.views.models import is_live
from webui.jfrogml import services
from webui.jfrogml.errors import JFrogMLError, NotFound


@require_GET
@login_required
@upstream_page
def deployment_list(request: HttpRequest) -> HttpResponse:
    data = services.deployment_list()
    page_obj = page_of(request, data.rows)
    rows = page_obj.object_list
    return render(
        request,
        "dashboard/deployment_list.html",
        {
            "data": data,
            "page_obj": page_obj,
            "deployments": [row.deployment for row in rows],
            "model_names": {r.deployment.model_id: r.model_name for r in rows if r.model_name},
            "version_names": {r.deployment.model_version_id: r.version_label for r in rows if r.version_label},
        },
    )


@require_GET
@login_required
def deployment_status_json(request: HttpRequest) -> JsonResponse:
    """Every deployment's status, for pond.js to refresh badges in place.

    Read from the cache the poller keeps fresh, so polling browsers never wait
    on JFrog ML. When nothing is known it answers 503 and the page keeps what
    it shows.
    """
    try:
        data = services.deployment_statuses()
    except JFrogMLError as exc:
        return JsonResponse({"error": exc.message}, status=503)
    return JsonResponse(
        {
            "deployments": {
                d.id: {"status": d.status or "unknown", "css": status_css(d.status)} for d in data.deployments
            },
            "freshness": "Data " + freshness_text(data.freshness),
        }
    )


@require_GET
@login_required
@upstream_page
def deployment_detail(request: HttpRequest, deployment_id: str) -> HttpResponse:
    data = services.deployment_detail(deployment_id=deployment_id)
    resources = DeploymentResources.objects.filter(deployment_id=deployment_id).first()
    return render(
        request,
        "dashboard/deployment_detail.html",
        {"data": data, "deployment": data.deployment, "resources": resources},
    )


@require_http_methods(["GET", "POST"])
@login_required
@authorize("dashboard.deploy")
@upstream_page
def deployment_create(request: HttpRequest) -> HttpResponse:
    """Step 1 (no model chosen): pick a model. Step 2: its version and resources."""
    model_id = (request.POST.get("model_id") or request.GET.get("model") or "").strip()
    if not model_id:
        catalog = services.model_list(per_page=200)
        return render(request, "dashboard/deployment_pick_model.html", {"data": catalog})
    try:
        overview = services.model_overview(model_id=model_id)
    except NotFound:
        messages.error(request, "That model does not exist (any more). Pick another.")
        return redirect("deployment_create")
    choices = [(v.id, f"{v.label} ({v.status or 'unknown'})") for v in overview.versions]
    initial = {"model_id": model_id, "model_version_id": request.GET.get("version", ""), "replicas": 1}
    may_override = request.user.has_perm("dashboard.decide_promotion")
    form = DeploymentForm(request.POST or None, initial=initial, version_choices=choices, may_override=may_override)
    needs_promotion = None
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        version = next(v for v in overview.versions if v.id == values["model_version_id"])
        override = values.get("override_reason", "").strip()
        if version.status not in settings.POND_DEPLOYABLE_STATUSES and not override:
            # The review is the way to production: a draft never serves by a side door.
            needs_promotion = version
            allowed = " or ".join(settings.POND_DEPLOYABLE_STATUSES)
            form.add_error(
                "model_version_id",
                f"Version {version.label} is {version.status or 'of unknown status'}: only {allowed} versions are "
                "deployed. Request its promotion first"
                + (", or give a reviewer's reason to deploy it anyway." if may_override else "."),
            )
    if request.method == "POST" and form.is_valid():
        try:
            deployment = services.deployment_create(
                name=values["name"],
                model_id=model_id,
                model_version_id=values["model_version_id"],
                replicas=values["replicas"],
                cpu=values["cpu"],
                memory=values["memory"],
                gpu=values["gpu"],
            )
        except JFrogMLError as exc:
            add_upstream_errors(form, exc, field_map={"resources": "cpu"})
        else:
            # JFrog ML does not return resources; Pond keeps what was asked for.
            DeploymentResources.objects.update_or_create(
                deployment_id=deployment.id,
                defaults={
                    "cpu": values["cpu"],
                    "memory": values["memory"],
                    "gpu": values["gpu"],
                    "replicas": values["replicas"],
                    "created_by": request.user,
                },
            )
            activity_record(
                user=request.user, action=Activity.DEPLOYED, kind=Activity.DEPLOYMENT, object_id=deployment.id,
                object_name=deployment.name or deployment.id, model_id=model_id,
                model_name=overview.model.display_name,
                changes={"version": version.label, "version_id": version.id, "replicas": values["replicas"],
                         "cpu": values["cpu"], "memory": values["memory"], "gpu": values["gpu"]},
                details={"version_status": version.status, **({"override_reason": override} if override else {})},
            )  # fmt: skip
            messages.success(request, f"Deployment “{deployment.name or deployment.id}” created; it is {deployment.status or 'starting'}.")
            return redirect("deployment_detail", deployment_id=deployment.id)
    return render(
        request,
        "dashboard/deployment_form.html",
        {"data": overview, "form": form, "model": overview.model, "has_versions": bool(choices),
         "needs_promotion": needs_promotion},
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
@login_required
@authorize("dashboard.deploy")
@upstream_page
def deployment_delete(request: HttpRequest, deployment_id: str) -> HttpResponse:
    """Stop and delete a deployment; one that is serving stops only by explicit choice."""
    try:
        data = services.deployment_detail(deployment_id=deployment_id)
    except NotFound:
        messages.info(request, "That deployment was already deleted.")
        return redirect("deployment_list")
    deployment = data.deployment
    live = 1 if is_live(deployment) else 0
    form = DestructiveForm(
        request.POST if request.method == "POST" else None, live=live, live_label=f"Stop it: it is {deployment.status} and serving requests"
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.deployment_delete(deployment_id=deployment_id)
        except NotFound:
            messages.info(request, "That deployment was already deleted.")
        except JFrogMLError as exc:
            messages.error(request, f"The deployment was not deleted: {exc.message}")
            return redirect("deployment_detail", deployment_id=deployment_id)
        else:
            activity_record(
                user=request.user, action=Activity.STOPPED, kind=Activity.DEPLOYMENT, object_id=deployment_id,
                object_name=deployment.name or deployment_id, model_id=deployment.model_id or "",
                model_name=data.model.display_name if getattr(data, "model", None) else "",
                details={"status_before": deployment.status},
            )  # fmt: skip
            messages.success(request, "Deployment deleted.")
        DeploymentResources.objects.filter(deployment_id=deployment_id).delete()
        return redirect("deployment_list")
    return render(
        request,
        "dashboard/confirm_delete.html",
        {
            "data": data,
            "form": form,
            "what": "deployment",
            "name": deployment.name or deployment.id,
            "consequence": "This stops serving the model at this endpoint.",
            "cancel_url": reverse("deployment_detail", args=[deployment_id]),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
@authorize("dashboard.deploy")
@upstream_page
def deployment_edit(request: HttpRequest, deployment_id: str) -> HttpResponse:
    if request.method == "POST":
        form = DeploymentUpdateForm(request.POST)
        if form.is_valid():
            values = form.cleaned_data
            try:
                before = services.deployment_detail(deployment_id=deployment_id).deployment
                deployment = services.deployment_update(
                    deployment_id=deployment_id, replicas=values["replicas"], status=values["status"] or None
                )
            except JFrogMLError as exc:
                add_upstream_errors(form, exc)
            else:
                activity_record(
                    user=request.user,
                    action=Activity.STOPPED if values["status"] == "stopped" else Activity.SCALED,
                    kind=Activity.DEPLOYMENT, object_id=deployment_id, object_name=before.name or deployment_id,
                    model_id=before.model_id or "",
                    changes=edits(
                        {"replicas": before.replicas, "status": before.status},
                        {"replicas": values["replicas"], "status": values["status"] or None},
                    ),
                )  # fmt: skip
                DeploymentResources.objects.filter(deployment_id=deployment_id).update(replicas=values["replicas"])
                messages.success(
                    request, f"Deployment updated: {deployment.replicas} replica(s), {deployment.status or 'unknown'}."
                )
                return redirect("deployment_detail", deployment_id=deployment_id)
        return render(request, "dashboard/deployment_edit.html", {"form": form, "deployment_id": deployment_id})
    data = services.deployment_detail(deployment_id=deployment_id)
    form = DeploymentUpdateForm(initial={"replicas": data.deployment.replicas or 1})
    return render(
        request,
        "dashboard/deployment_edit.html",
        {"data": data, "form": form, "deployment": data.deployment, "deployment_id": deployment_id},
    )
