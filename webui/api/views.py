"""Pond's API: thin DRF views over the same service functions the pages call.

Rights and rules are the services' (the two-person rule, the promotion rules, who
may withdraw): a view only reads the request, calls one function and shapes the
answer. Every refusal is `{"error": {"code", "message", "fields"}}` with a fitting
status, as the embedded registry answers.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from webui.api import serializers as s
from webui.api.authentication import PersonalTokenAuthentication
from webui.api.models import ApiToken
from webui.core.roles import role_of
from webui.jfrogml.errors import JFrogMLError, NotFound, ValidationFailed
from webui.reviews import approvals, audit, selectors, services
from webui.reviews.models import ReviewRequest
from webui.status import snapshot
from webui.status.models import Incident

ERRORS = {
    400: s.ErrorSerializer, 401: s.ErrorSerializer, 403: s.ErrorSerializer, 404: s.ErrorSerializer,
    409: s.ErrorSerializer, 503: s.ErrorSerializer,
}  # fmt: skip


def _error(status_code: int, code: str, message: str, fields: dict[str, list[str]] | None = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return Response({"error": body}, status=status_code)


def _fields(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in detail.items()}
    return {"non_field_errors": [str(m) for m in (detail if isinstance(detail, list) else [detail])]}


class Page(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


class PondAPIView(APIView):
    authentication_classes = [PersonalTokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, services.ReviewRefused):
            code = {403: "forbidden", 404: "not_found", 409: "conflict"}.get(exc.status, "invalid")
            fields = {exc.field: [exc.message]} if exc.field and exc.field != "__all__" else None
            return _error(exc.status, code, exc.message, fields)
        if isinstance(exc, DjangoPermissionDenied):
            return _error(403, "forbidden", str(exc) or "Your role does not allow this.")
        if isinstance(exc, ValidationFailed):
            return _error(400, "invalid", exc.message, exc.fields or None)
        if isinstance(exc, NotFound):
            return _error(404, "not_found", exc.message)
        if isinstance(exc, JFrogMLError):
            return _error(503, "upstream_unavailable", f"JFrog ML did not answer as expected: {exc.message}")
        if isinstance(exc, exceptions.ValidationError):
            return _error(400, "invalid", "Some fields are not valid.", _fields(exc.detail))
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            response = super().handle_exception(exc)
            response.data = {"error": {"code": "unauthenticated", "message": str(exc.detail)}}
            return response
        if isinstance(exc, exceptions.APIException):
            response = super().handle_exception(exc)
            response.data = {"error": {"code": exc.default_code, "message": str(exc.detail)}}
            return response
        return super().handle_exception(exc)

    def query(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.query_params)
        # DRF reads an empty query value as a missing one: here `?on=` is an error, not "today".
        blank = [name for name in serializer.fields if self.request.query_params.get(name) == ""]
        if blank:
            raise exceptions.ValidationError({name: ["Empty: give a value, or leave the parameter out."] for name in blank})
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def body(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def paged(self, items: Any, serializer_class: type[serializers.Serializer]) -> Response:
        paginator = Page()
        page = paginator.paginate_queryset(items, self.request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True, context={"request": self.request}).data)


class Me(PondAPIView):
    @extend_schema(operation_id="me", responses={200: s.MeSerializer, **ERRORS}, summary="Who the token speaks for")
    def get(self, request):
        token = request.auth.name if isinstance(request.auth, ApiToken) else None
        return Response({"username": request.user.get_username(), "role": role_of(request.user), "token": token})


class Reviews(PondAPIView):
    @extend_schema(
        operation_id="listReviews",
        parameters=[s.ReviewQuerySerializer],
        responses={200: s.ReviewPageSerializer, **ERRORS},
        summary="Promotion requests, newest first",
    )
    def get(self, request):
        query = self.query(s.ReviewQuerySerializer)
        reviews = ReviewRequest.objects.order_by("-created_at", "-id")
        for name in ("state", "model_id", "version_id"):
            if query.get(name):
                reviews = reviews.filter(**{name: query[name]})
        return self.paged(reviews, s.ReviewSerializer)

    @extend_schema(
        operation_id="createReview",
        request=s.ReviewCreateSerializer,
        responses={201: s.ReviewSerializer, **ERRORS},
        summary="Ask for a version to move to another status (the request_promotion right)",
    )
    def post(self, request):
        data = self.body(s.ReviewCreateSerializer)
        review = services.promotion_request_create(user=request.user, **data)
        return Response(s.ReviewSerializer(review, context={"request": request}).data, status=status.HTTP_201_CREATED)


def _review(pk: int) -> ReviewRequest:
    review = ReviewRequest.objects.filter(pk=pk).first()
    if review is None:
        raise services.ReviewRefused("No such promotion request.", field="id", status=404)
    return review


class Review(PondAPIView):
    @extend_schema(
        operation_id="getReview",
        parameters=[s.WaitSerializer],
        responses={200: s.ReviewSerializer, **ERRORS},
        summary="One promotion request; with ?wait=N, answered as soon as it is decided or after N seconds",
        description=(
            "`wait` holds the answer until the request is decided (approved and applied, rejected, "
            "withdrawn) or `wait` seconds have passed, whichever comes first. Longer waits are cut to "
            "POND_API_WAIT_MAX seconds (60 by default): a pipeline asks again until `decided` is true."
        ),
    )
    def get(self, request, pk: int):
        # Longer waits are cut to the limit: the answer says `decided`, the caller asks again.
        wait = min(self.query(s.WaitSerializer)["wait"], settings.POND_API_WAIT_MAX)
        review = _review(pk)
        deadline = time.monotonic() + wait
        undecided = (ReviewRequest.PENDING, ReviewRequest.APPLYING)
        while review.state in undecided and time.monotonic() < deadline:
            time.sleep(min(settings.POND_API_WAIT_POLL, max(0.0, deadline - time.monotonic())))
            review.refresh_from_db()
        return Response(s.ReviewSerializer(review, context={"request": request}).data)


class ReviewDecision(PondAPIView):
    @extend_schema(
        operation_id="decideReview",
        request=s.DecisionSerializer,
        responses={200: s.DecisionResultSerializer, **ERRORS},
        summary="Approve (and apply) or reject a pending request (the decide_promotion right)",
    )
    def post(self, request, pk: int):
        data = self.body(s.DecisionSerializer)
        result = approvals.promotion_request_decide(
            user=request.user,
            request_id=pk,
            approve=data["decision"] == "approve",
            comment=data["comment"],
            override_reason=data["override_reason"],
        )
        review = _review(pk)
        return Response(
            {"ok": result.ok, "message": result.message, "review": s.ReviewSerializer(review, context={"request": request}).data}
        )


class ReviewWithdrawal(PondAPIView):
    @extend_schema(
        operation_id="withdrawReview",
        request=s.WithdrawSerializer,
        responses={200: s.ReviewSerializer, **ERRORS},
        summary="Withdraw a pending request (its requester; an admin, with a comment)",
    )
    def post(self, request, pk: int):
        data = self.body(s.WithdrawSerializer)
        review = services.promotion_request_cancel(user=request.user, request_id=pk, comment=data["comment"])
        return Response(s.ReviewSerializer(review, context={"request": request}).data)


class Ledger(PondAPIView):
    @extend_schema(
        operation_id="listEvents",
        parameters=[s.LedgerQuerySerializer],
        responses={200: s.EventPageSerializer, **ERRORS},
        summary="The promotion ledger and the activity record, newest first",
    )
    def get(self, request):
        query = self.query(s.LedgerQuerySerializer)
        trail = audit.audit_trail(
            model=query.get("model", "").strip(),
            person=query.get("person", "").strip(),
            event=query.get("event", ""),
            record=query.get("record", ""),
            date_from=query["date_from"],
            date_to=query["date_to"],
        )
        return self.paged(trail, s.EventSerializer)


class Production(PondAPIView):
    @extend_schema(
        operation_id="getProduction",
        parameters=[s.ProductionQuerySerializer],
        responses={200: s.ProductionSerializer, **ERRORS},
        summary="The model's production version(s) now, or at the end of a day, as Pond's ledger records it",
    )
    def get(self, request, model_id: str):
        day = self.query(s.ProductionQuerySerializer)["on"]
        when = timezone.now() if day is None else datetime.combine(day, datetime.max.time(), tzinfo=UTC)
        # An id is any string, but no database stores NUL: such an id names no model here.
        versions = selectors.production_on(model_id=model_id.replace("\x00", "\ufffd"), date=when)
        return Response(
            s.ProductionSerializer({"model_id": model_id, "on": when, "versions": versions}).data
        )


class Deployments(PondAPIView):
    @extend_schema(
        operation_id="listDeploymentStatuses",
        responses={200: s.DeploymentsSerializer, **ERRORS},
        summary="Every deployment's status, as the status page shows it",
    )
    def get(self, request):
        meta = snapshot.meta()
        fresh = snapshot.freshness(meta)
        doc = snapshot.document(meta)
        return Response(
            s.DeploymentsSerializer(
                {"checked_at": fresh.checked_at, "stale": fresh.stale, "deployments": doc.get("deployments", [])}
            ).data
        )


@csrf_exempt  # it changes nothing; a POST to a wrong path gets the same JSON 404
def not_found(request, *args, **kwargs):
    """Any other path under /api/: a JSON 404, never the HTML page."""
    return JsonResponse({"error": {"code": "not_found", "message": "No such API path; see /api/docs/."}}, status=404)


class Incidents(PondAPIView):
    @extend_schema(
        operation_id="listIncidents",
        parameters=[s.IncidentQuerySerializer],
        responses={200: s.IncidentPageSerializer, **ERRORS},
        summary="Incidents (confirmed failures of a deployment), newest first",
    )
    def get(self, request):
        query = self.query(s.IncidentQuerySerializer)
        incidents = Incident.objects.order_by("-started_at", "-id")
        if query.get("ongoing") is not None:
            incidents = incidents.filter(ended_at__isnull=query["ongoing"])
        if query.get("deployment_id"):
            incidents = incidents.filter(deployment_id=query["deployment_id"])
        return self.paged(incidents, s.IncidentSerializer)

