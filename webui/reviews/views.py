"""Thin views for reviews and promotions: parse, call one service or selector, render."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from webui.core.decorators import authorize, upstream_page
from webui.core.exports import csv_response
from webui.jfrogml.errors import JFrogMLError, NotFound
from webui.reviews import approvals, audit, evidence, selectors, services
from webui.reviews.forms import (
    AuditFilterForm,
    CancelForm,
    DecisionForm,
    DirectPromotionForm,
    ProductionOnForm,
    PromotionRequestForm,
)
from webui.reviews.models import ReviewRequest
from webui.reviews.transitions import STATUSES, allowed_targets, next_step

AUDIT_PAGE_SIZE = 50


def _refusal_into(form, exc: services.ReviewRefused) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


# --- requesting ------------------------------------------------------------------------------------


@login_required
@authorize("dashboard.request_promotion")
@require_http_methods(["GET", "POST"])
@upstream_page
def promotion_request_new(request: HttpRequest, model_id: str, version_id: str) -> HttpResponse:
    situation = services.situation_read(model_id=model_id, version_id=version_id)
    allowed = allowed_targets(situation.candidate_status.status)
    proposed = next_step(situation.candidate_status.status)
    status = 200
    if request.method == "POST":
        form = PromotionRequestForm(request.POST, allowed=allowed, default=proposed)
        if form.is_valid():
            try:
                review = services.promotion_request_create(
                    user=request.user,
                    model_id=model_id,
                    version_id=version_id,
                    to_status=form.cleaned_data["to_status"],
                    note=form.cleaned_data["note"],
                    archive_current=form.cleaned_data["archive_current"],
                    deploy=form.cleaned_data["deploy"],
                )
            except services.ReviewRefused as exc:
                _refusal_into(form, exc)
                status = exc.status
            else:
                messages.success(request, f"Promotion of {review.version_label} to {review.to_status} requested.")
                return redirect("reviews:detail", pk=review.pk)
        else:
            status = 400
    else:
        form = PromotionRequestForm(allowed=allowed, default=proposed)
    # The rules of every move offered, the selected one shown: the panel follows the
    # choice at once with JavaScript, and after a submit without it.
    target = form.target
    rules_by_target = [
        (to_status, services.rules_check(situation=situation, to_status=to_status))
        for to_status in dict.fromkeys([*allowed, *([target] if target in STATUSES else [])])
    ]
    comparison = selectors.review_comparison(
        candidate=situation.candidate, production_versions=situation.production_versions
    )
    return render(
        request,
        "reviews/request_new.html",
        {
            "situation": situation,
            "form": form,
            "allowed": allowed,
            "proposed": proposed,
            "target": target,
            "rules_by_target": rules_by_target,
            "comparison": comparison,
            "pending": selectors.pending_requests().filter(model_id=model_id, version_id=version_id).first(),
            "history": selectors.version_history(model_id=model_id, version_id=version_id),
            "can_direct": services.direct_promotion_allowed(user=request.user),
        },
        status=status,
    )


@login_required
@authorize("dashboard.decide_promotion")
@require_POST
@upstream_page
def promotion_direct(request: HttpRequest, model_id: str, version_id: str) -> HttpResponse:
    form = DirectPromotionForm(request.POST)
    back = reverse("reviews:request_new", kwargs={"model_id": model_id, "version_id": version_id})
    if not form.is_valid():
        return _refused_page(request, form=form, back=back, status=400)
    try:
        result = approvals.promotion_direct(user=request.user, model_id=model_id, version_id=version_id, **form.cleaned_data)
    except services.ReviewRefused as exc:
        _refusal_into(form, exc)
        return _refused_page(request, form=form, back=back, status=exc.status)
    (messages.success if result.ok else messages.error)(request, result.message)
    return redirect(back)


def _refused_page(request: HttpRequest, *, form, back: str, status: int) -> HttpResponse:
    return render(request, "reviews/refused.html", {"form": form, "back": back}, status=status)


# --- the queue and one request ---------------------------------------------------------------------


@login_required
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "reviews/queue.html",
        {
            "pending": selectors.pending_requests(),
            "recent": ReviewRequest.objects.exclude(state=ReviewRequest.PENDING).order_by("-decided_at", "-id")[:20],
            "without_production": selectors.models_left_without_production(),
            "can_decide": request.user.has_perm(services.DECIDE_PERM),
        },
    )


def _review_page(
    request: HttpRequest, review: ReviewRequest, *, form=None, status: int = 200, withdraw_error: str = ""
) -> HttpResponse:
    situation = comparison = rules = None
    upstream_error = ""
    try:
        situation = services.situation_read(model_id=review.model_id, version_id=review.version_id)
    except NotFound:
        upstream_error = "This version no longer exists in JFrog ML. It can only be rejected."
    except JFrogMLError as exc:
        upstream_error = f"JFrog ML is not answering ({exc.message}); the comparison cannot be shown."
    if situation is not None:
        comparison = selectors.review_comparison(
            candidate=situation.candidate, production_versions=situation.production_versions
        )
        rules = services.rules_check(situation=situation, to_status=review.to_status)
    user = request.user
    return render(
        request,
        "reviews/detail.html",
        {
            "review": review,
            "situation": situation,
            "comparison": comparison,
            "rules": rules,
            "upstream_error": upstream_error,
            "form": form or DecisionForm(),
            "can_decide": user.has_perm(services.DECIDE_PERM) and review.is_pending,
            "own_request": review.asked_by(user),
            "two_person_rule": services.two_person_rule(),
            "can_cancel": review.is_pending and services.withdraw_allowed(user=user, request=review),
            "history": selectors.version_history(model_id=review.model_id, version_id=review.version_id),
            "steps": selectors.decision_steps(request=review),
            "withdraw_error": withdraw_error,
            **_decided_on(review),
        },
        status=status,
    )


def _decided_on(review: ReviewRequest) -> dict:
    """What the decision kept of what the reviewer saw, rebuilt as the page shows it."""
    if review.is_pending or review.state == ReviewRequest.CANCELLED:
        return {"evidence": None, "evidence_missing": False}
    kept = evidence.evidence_of(evidence.decision_entry(request_id=review.pk))
    if kept is None or kept.candidate is None:
        return {"evidence": kept, "evidence_missing": kept is None}
    return {
        "evidence": kept,
        "evidence_comparison": selectors.review_comparison(candidate=kept.candidate, production_versions=kept.production),
        "evidence_missing": False,
    }


def _review_or_404(pk: int) -> ReviewRequest:
    try:
        return selectors.request_get(request_id=pk)
    except ReviewRequest.DoesNotExist:
        raise Http404("No such promotion request.") from None


@login_required
@require_GET
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _review_page(request, _review_or_404(pk))


@login_required
@authorize("dashboard.decide_promotion")
@require_POST
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review_or_404(pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _review_page(request, review, form=form, status=400)
    try:
        result = approvals.promotion_request_decide(
            user=request.user,
            request_id=review.pk,
            approve=form.cleaned_data["decision"] == "approve",
            comment=form.cleaned_data["comment"],
            override_reason=form.cleaned_data["override_reason"],
        )
    except services.ReviewRefused as exc:
        _refusal_into(form, exc)
        return _review_page(request, _review_or_404(pk), form=form, status=exc.status)
    (messages.success if result.ok else messages.error)(request, result.message)
    return redirect("reviews:detail", pk=review.pk)


@login_required
@require_POST
def review_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review_or_404(pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        errors = " ".join(f"{name}: {' '.join(msgs)}" for name, msgs in form.errors.items())
        return _review_page(request, review, status=400, withdraw_error=errors)
    try:
        services.promotion_request_cancel(user=request.user, request_id=review.pk, comment=form.cleaned_data["comment"])
    except services.ReviewRefused as exc:
        return _review_page(request, _review_or_404(pk), status=exc.status, withdraw_error=exc.message)
    messages.success(request, "Request withdrawn.")
    return redirect("reviews:detail", pk=review.pk)


# --- the audit ledger ------------------------------------------------------------------------------------


def _audit_trail(request: HttpRequest) -> tuple[AuditFilterForm, audit.AuditTrail | None]:
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return form, None
    data = form.cleaned_data if form.is_bound else {}
    return form, audit.audit_trail(
        model=data.get("model", "").strip(),
        person=data.get("person", "").strip(),
        status=data.get("status", ""),
        event=data.get("event", ""),
        record=data.get("record", ""),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    )


@login_required
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    form, events = _audit_trail(request)
    if events is None:
        return render(request, "reviews/audit.html", {"form": form, "page": None}, status=400)
    paginator = Paginator(events, AUDIT_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    # The filters as the form read them: an older link's `kind=apply` pages and
    # exports as `event=applied`.
    query = form.data.copy() if form.is_bound else request.GET.copy()
    query.pop("page", None)
    return render(request, "reviews/audit.html", {"form": form, "page": page, "query": query.urlencode()})


AUDIT_CSV_HEADER = [
    "record", "id", "when", "who", "event", "model_id", "model", "object", "object_id", "object_name",
    "version_id", "version", "from", "to", "outcome", "comment", "request", "changes", "metrics", "details",
]  # fmt: skip


@login_required
@require_GET
def audit_export(request: HttpRequest) -> HttpResponse:
    form, events = _audit_trail(request)
    if events is None:
        errors = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in form.errors.items())
        return HttpResponse(f"Bad filter — {errors}\n", status=400, content_type="text/plain; charset=utf-8")
    rows = (
        (
            e.record, e.pk, e.when.isoformat(), e.who, e.event, e.model_id, e.model_name, e.object_kind,
            e.object_id, e.object_name, e.version_id, e.version_label, e.from_status, e.to_status, e.outcome,
            e.comment, e.request_id or "", json.dumps(e.changes, sort_keys=True),
            json.dumps(e.metrics, sort_keys=True), json.dumps(e.details, sort_keys=True),
        )  # fmt: skip
        for e in events
    )
    return csv_response("pond-audit.csv", AUDIT_CSV_HEADER, rows, stream=True)


@login_required
@require_GET
def production_on(request: HttpRequest, model_id: str) -> HttpResponse:
    form = ProductionOnForm(request.GET or None)
    rows = None
    status = 200
    if form.is_bound:
        if form.is_valid():
            rows = selectors.production_on(model_id=model_id, date=form.cleaned_data["date"])
        else:
            status = 400
    return render(
        request,
        "reviews/production_on.html",
        {"form": form, "rows": rows, "model_id": model_id, "model_name": selectors.model_name_known(model_id=model_id)},
        status=status,
    )
