"""Experiments: list, detail, compare, create, delete."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from webui.activity.models import Activity
from webui.activity.services import activity_record, creators, edits, jsonable
from webui.core.decorators import authorize, upstream_page
from webui.dashboard.forms import ExperimentForm, ExperimentUpdateForm, add_upstream_errors
from webui.dashboard.views._common import cleaned_or_default, page_of, selected_ids
from webui.dashboard.views.versions import render_compare
from webui.jfrogml import services
from webui.jfrogml.errors import JFrogMLError, NotFound
from webui.jfrogml.resources import EXPERIMENT_STATUSES


class ExperimentFilterForm(forms.Form):
    model = forms.CharField(required=False, max_length=200)
    status = forms.ChoiceField(
        choices=[("", "All statuses"), *((s, s) for s in EXPERIMENT_STATUSES)], required=False
    )


@require_GET
@login_required
@upstream_page
def experiment_list(request: HttpRequest) -> HttpResponse:
    form = ExperimentFilterForm(request.GET)
    params = cleaned_or_default(form)
    data = services.experiment_list(model_id=params["model"], status=params["status"])
    page_obj = page_of(request, data.experiments)
    key_metrics = _common_metrics(page_obj.object_list)[:4]
    return render(
        request,
        "dashboard/experiment_list.html",
        {"data": data, "form": form, "params": params, "key_metrics": key_metrics, "page_obj": page_obj,
         # A select of every model stops being usable (and costs a megabyte) at scale.
         "model_choices": data.model_names if len(data.model_names) <= MODEL_SELECT_MAX else None},
    )


MODEL_SELECT_MAX = 300


def _common_metrics(experiments: list) -> list[str]:
    """Metric names, most common first: the columns worth showing in a list."""
    counts: dict[str, int] = {}
    for e in experiments:
        for name in e.metrics:
            counts[name] = counts.get(name, 0) + 1
    return sorted(counts, key=lambda n: (-counts[n], n))


@require_GET
@login_required
@upstream_page
def experiment_detail(request: HttpRequest, experiment_id: str) -> HttpResponse:
    data = services.experiment_detail(experiment_id=experiment_id)
    creator = creators(Activity.EXPERIMENT, [experiment_id]).get(experiment_id)
    return render(
        request, "dashboard/experiment_detail.html", {"data": data, "experiment": data.experiment, "creator": creator}
    )


@require_GET
@login_required
@upstream_page
def experiments_compare(request: HttpRequest) -> HttpResponse:
    ids, problem = selected_ids(request.GET, "e")
    if problem:
        return render(
            request,
            "dashboard/compare.html",
            {"problem": problem, "kind": "experiments", "back_url": reverse("experiment_list")},
            status=400,
        )
    data = services.experiments_compare(experiment_ids=ids)
    items = [(e.id, e.name or e.id, e.metrics, e.parameters, e.status) for e in data.experiments]
    return render_compare(request, data, items, kind="experiments", back_url=reverse("experiment_list"), title="Experiments")


def _model_choices() -> list[tuple[str, str]]:
    data = services.model_list(per_page=200)
    return [(row.model.id, row.model.display_name) for row in data.rows]


@require_http_methods(["GET", "POST"])
@login_required
@authorize("dashboard.change_registry")
@upstream_page
def experiment_create(request: HttpRequest) -> HttpResponse:
    # The model picker needs the catalog; it is read from the cache.
    form = ExperimentForm(
        request.POST or None,
        initial={"model_id": request.GET.get("model", "")},
        model_choices=_model_choices(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            experiment = services.experiment_create(**form.cleaned_data)
        except JFrogMLError as exc:
            add_upstream_errors(form, exc)
        else:
            activity_record(
                user=request.user, action=Activity.CREATED, kind=Activity.EXPERIMENT, object_id=experiment.id,
                object_name=experiment.name or experiment.id, model_id=experiment.model_id or "",
                model_name=dict(form.fields["model_id"].choices).get(experiment.model_id or "", "") if experiment.model_id else "",
                changes=jsonable(form.cleaned_data),
            )  # fmt: skip
            messages.success(request, f"Experiment “{experiment.name or experiment.id}” created.")
            return redirect("experiment_detail", experiment_id=experiment.id)
    return render(request, "dashboard/experiment_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@login_required
@authorize("dashboard.change_registry")
@upstream_page
def experiment_delete(request: HttpRequest, experiment_id: str) -> HttpResponse:
    if request.method == "POST":
        try:
            known = services.experiment_detail(experiment_id=experiment_id).experiment
            services.experiment_delete(experiment_id=experiment_id)
        except NotFound:
            messages.info(request, "That experiment was already deleted.")
        except JFrogMLError as exc:
            messages.error(request, f"The experiment was not deleted: {exc.message}")
            return redirect("experiment_detail", experiment_id=experiment_id)
        else:
            activity_record(
                user=request.user, action=Activity.DELETED, kind=Activity.EXPERIMENT, object_id=experiment_id,
                object_name=known.name or experiment_id, model_id=known.model_id or "",
                details={"status": known.status},
            )  # fmt: skip
            messages.success(request, "Experiment deleted.")
        return redirect("experiment_list")
    data = services.experiment_detail(experiment_id=experiment_id)
    return render(
        request,
        "dashboard/confirm_delete.html",
        {
            "data": data,
            "what": "experiment",
            "name": data.experiment.name or data.experiment.id,
            "consequence": "This deletes the experiment with its metrics and parameters.",
            "cancel_url": reverse("experiment_detail", args=[experiment_id]),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
@authorize("dashboard.change_registry")
@upstream_page
def experiment_edit(request: HttpRequest, experiment_id: str) -> HttpResponse:
    if request.method == "POST":
        form = ExperimentUpdateForm(request.POST)
        if form.is_valid():
            try:
                before = services.experiment_detail(experiment_id=experiment_id).experiment
                after = services.experiment_update(
                    experiment_id=experiment_id,
                    status=form.cleaned_data["status"] or None,
                    metrics=form.cleaned_data["metrics"] or None,
                )
            except JFrogMLError as exc:
                add_upstream_errors(form, exc)
            else:
                activity_record(
                    user=request.user, action=Activity.EDITED, kind=Activity.EXPERIMENT, object_id=experiment_id,
                    object_name=(after.name if after else before.name) or experiment_id,
                    model_id=before.model_id or "",
                    changes=edits(
                        {"status": before.status, "metrics": dict(before.metrics or {})},
                        {"status": form.cleaned_data["status"] or None, "metrics": form.cleaned_data["metrics"] or None},
                    ),
                )  # fmt: skip
                messages.success(request, "Experiment updated.")
                return redirect("experiment_detail", experiment_id=experiment_id)
        return render(request, "dashboard/experiment_edit.html", {"form": form, "experiment_id": experiment_id})
    data = services.experiment_detail(experiment_id=experiment_id)
    return render(
        request,
        "dashboard/experiment_edit.html",
        {"data": data, "form": ExperimentUpdateForm(), "experiment": data.experiment, "experiment_id": experiment_id},
    )
