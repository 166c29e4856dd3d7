"""What the API reads and answers. Input serializers validate (a 400 names the field);
output serializers describe the answers for the OpenAPI document."""

from __future__ import annotations

from django.core.validators import ProhibitNullCharactersValidator
from rest_framework import serializers

from webui.reviews import audit
from webui.reviews.models import ReviewRequest
from webui.reviews.transitions import STATUSES

# --- answers ----------------------------------------------------------------------------------


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.CharField()
    token = serializers.CharField(allow_null=True, help_text="The name of the token used, null for a browser session.")


class ReviewSerializer(serializers.ModelSerializer):
    decided = serializers.SerializerMethodField(help_text="True once the request left pending and was applied or refused.")
    url = serializers.SerializerMethodField(help_text="The review's page in Pond.")

    class Meta:
        model = ReviewRequest
        fields = [
            "id", "state", "decided", "model_id", "model_name", "version_id", "version_label", "from_status",
            "to_status", "note", "archive_current", "deploy", "requested_by_name", "created_at", "decided_by_name",
            "decided_at", "decision_comment", "override_reason", "outcome_message", "url",
        ]  # fmt: skip
        read_only_fields = fields

    def get_decided(self, obj: ReviewRequest) -> bool:
        return obj.state not in (ReviewRequest.PENDING, ReviewRequest.APPLYING)

    def get_url(self, obj: ReviewRequest) -> str:
        request = self.context.get("request")
        path = f"/reviews/{obj.pk}/"
        return request.build_absolute_uri(path) if request is not None else path


class DecisionResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    message = serializers.CharField()
    review = ReviewSerializer()


class EventSerializer(serializers.Serializer):
    record = serializers.CharField(help_text="promotions (the ledger) or activity (every other write).")
    id = serializers.IntegerField(source="pk")
    when = serializers.DateTimeField()
    who = serializers.CharField()
    event = serializers.CharField()
    model_id = serializers.CharField()
    model_name = serializers.CharField()
    object_kind = serializers.CharField()
    object_id = serializers.CharField()
    object_name = serializers.CharField()
    version_id = serializers.CharField()
    version_label = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    outcome = serializers.CharField()
    comment = serializers.CharField()
    request_id = serializers.IntegerField(allow_null=True)
    changes = serializers.DictField()
    metrics = serializers.DictField()
    details = serializers.DictField()


class ProductionVersionSerializer(serializers.Serializer):
    version_id = serializers.CharField()
    version_label = serializers.CharField()
    since = serializers.DateTimeField(allow_null=True)
    inferred = serializers.BooleanField(help_text="Already production when Pond's record of it begins.")


class ProductionSerializer(serializers.Serializer):
    model_id = serializers.CharField()
    on = serializers.DateTimeField(help_text="The moment the answer is for.")
    versions = ProductionVersionSerializer(many=True)


class DeploymentStatusSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    model_id = serializers.CharField()
    model_name = serializers.CharField()
    version_id = serializers.CharField()
    version = serializers.CharField()
    status = serializers.CharField()
    confirmed = serializers.BooleanField()
    since = serializers.DateTimeField(allow_null=True)
    problem = serializers.BooleanField()
    open_incident = serializers.BooleanField()


class DeploymentsSerializer(serializers.Serializer):
    checked_at = serializers.DateTimeField(allow_null=True, help_text="The poller's last successful look.")
    stale = serializers.BooleanField(help_text="True when the statuses are older than the page would show as current.")
    deployments = DeploymentStatusSerializer(many=True)


class IncidentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    deployment_id = serializers.CharField()
    deployment_name = serializers.CharField()
    model_id = serializers.CharField()
    version_id = serializers.CharField()
    status = serializers.CharField()
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    ongoing = serializers.SerializerMethodField()
    recovered_to = serializers.CharField()

    def get_ongoing(self, obj) -> bool:
        return obj.ended_at is None


def page_of(item: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """The paged answer around `item`: {count, next, previous, results}."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
        },
    )


ReviewPageSerializer = page_of(ReviewSerializer, "ReviewPage")
EventPageSerializer = page_of(EventSerializer, "EventPage")
IncidentPageSerializer = page_of(IncidentSerializer, "IncidentPage")


# --- what callers send -------------------------------------------------------------------------


class Text(serializers.CharField):
    """A string as an id or a note may be: NUL (which no database stores and no id
    holds) becomes U+FFFD, so it matches nothing instead of failing the call."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]

    def to_internal_value(self, data):
        return super().to_internal_value(data).replace("\x00", "\ufffd")


class PageQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(required=False, min_value=1, max_value=500, help_text="At most 500; 50 if left out.")
    offset = serializers.IntegerField(required=False, min_value=0)


class ReviewCreateSerializer(serializers.Serializer):
    model_id = Text(max_length=1024)
    version_id = Text(max_length=1024)
    to_status = serializers.ChoiceField(choices=[s for s in STATUSES if s != "draft"])
    note = Text(max_length=5000, help_text="Why: reviewers read it.")
    archive_current = serializers.BooleanField(default=True, help_text="Production only: archive what is production now.")
    deploy = serializers.BooleanField(default=False, help_text="Production only: deploy the version once approved.")


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    comment = Text(max_length=5000, required=False, allow_blank=True, default="")
    override_reason = Text(max_length=5000, required=False, allow_blank=True, default="")


class WithdrawSerializer(serializers.Serializer):
    comment = Text(max_length=5000, required=False, allow_blank=True, default="")


class ReviewQuerySerializer(PageQuerySerializer):
    state = serializers.ChoiceField(choices=[s for s, _ in ReviewRequest.STATE_CHOICES], required=False)
    model_id = Text(max_length=1024, required=False)
    version_id = Text(max_length=1024, required=False)


class WaitSerializer(serializers.Serializer):
    wait = serializers.FloatField(
        required=False, default=0, min_value=0, help_text="Seconds to hold the answer until the request is decided."
    )


class LedgerQuerySerializer(PageQuerySerializer):
    model = Text(max_length=200, required=False, help_text="Part of a model's id or name, in any case.")
    person = Text(max_length=150, required=False, help_text="Part of a username, in any case.")
    event = serializers.ChoiceField(choices=audit.EVENTS, required=False)
    record = serializers.ChoiceField(choices=[audit.PROMOTIONS, audit.ACTIVITY], required=False)
    date_from = serializers.DateField(required=False, allow_null=True, default=None)
    date_to = serializers.DateField(required=False, allow_null=True, default=None)


class ProductionQuerySerializer(serializers.Serializer):
    on = serializers.DateField(required=False, allow_null=True, default=None, help_text="A day (UTC); today if left out.")


class IncidentQuerySerializer(PageQuerySerializer):
    ongoing = serializers.BooleanField(required=False, allow_null=True, default=None)
    deployment_id = Text(max_length=1024, required=False)
