"""Input for the promotion workflow: parsed here, decided in services."""

from __future__ import annotations

from django import forms

from webui.jfrogml import capabilities
from webui.reviews import audit
from webui.reviews.transitions import STATUSES

STATUS_CHOICES = [(s, s) for s in STATUSES]
_NOT_A_STATUS = {"invalid_choice": "“%(value)s” is not a version status; choose one of " + ", ".join(STATUSES) + "."}


class PromotionRequestForm(forms.Form):
    # Validation accepts every status so that a move that is not allowed is refused
    # by the workflow with its reason, not by a bare "select a valid choice".
    to_status = forms.ChoiceField(label="Move to", choices=STATUS_CHOICES, error_messages=_NOT_A_STATUS)
    note = forms.CharField(
        label="Note for the reviewer",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why this version, and what you checked.",
    )
    archive_current = forms.BooleanField(
        label="Archive the current production version(s) in the same step",
        required=False,
        initial=False,
        help_text="Only for a move to production.",
        widget=forms.CheckboxInput(attrs={"data-archive-when": "production"}),
    )
    deploy = forms.BooleanField(
        label="Deploy this version once it is in production", required=False, initial=False
    )

    # Only a move to production has a production to archive or a version to deploy.
    PRODUCTION_ONLY = ("archive_current", "deploy")

    def __init__(
        self,
        data=None,
        *args,
        allowed: list[str] | None = None,
        default: str | None = None,
        **kwargs,
    ) -> None:
        if data is not None and data.get("to_status") != "production":
            # Shown again after a refusal: a box ticked for another move is not kept ticked.
            data = data.copy()
            for name in self.PRODUCTION_ONLY:
                data.pop(name, None)
        super().__init__(data, *args, **kwargs)
        self.fields["to_status"].widget.attrs["data-target-select"] = "rules"
        if allowed is not None:
            # Offer only the allowed moves; the field still validates any status.
            self.fields["to_status"].widget.choices = [(s, s) for s in allowed]
            if allowed and not self.is_bound:
                # The step up from today's status, and archiving production only with it.
                target = default if default in allowed else allowed[0]
                self.initial.setdefault("to_status", target)
                self.initial.setdefault("archive_current", target == "production")

    def clean(self):
        data = super().clean()
        if data.get("to_status") != "production":
            for name in self.PRODUCTION_ONLY:
                data[name] = False  # no production to archive, nothing to deploy on other moves
        if not capabilities.current().deployment_create:
            data["deploy"] = False  # the upstream cannot deploy from Pond: never asked to
        return data

    @property
    def offers_production(self) -> bool:
        """Whether production is among the moves offered (else its options are not shown)."""
        return any(value == "production" for value, _ in self.fields["to_status"].widget.choices)

    @property
    def target(self) -> str:
        """The move the form shows: the posted one, else the proposed one."""
        value = self["to_status"].value()
        return str(value) if value else ""


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    comment = forms.CharField(
        label="Comment", max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required to reject.",
    )
    override_reason = forms.CharField(
        label="Override reason",
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only when a promotion rule fails: why approve anyway. It is recorded.",
    )


class CancelForm(forms.Form):
    comment = forms.CharField(max_length=5000, required=False)


class DirectPromotionForm(forms.Form):
    to_status = forms.ChoiceField(label="Move to", choices=STATUS_CHOICES, error_messages=_NOT_A_STATUS)
    comment = forms.CharField(label="Comment", max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    override_reason = forms.CharField(
        label="Override reason", max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    archive_current = forms.BooleanField(required=False, initial=True)
    deploy = forms.BooleanField(required=False, initial=False)

    def clean(self):
        data = super().clean()
        if not capabilities.current().deployment_create:
            data["deploy"] = False  # the upstream cannot deploy from Pond: never asked to
        return data


class AuditFilterForm(forms.Form):
    model = forms.CharField(label="Model", max_length=255, required=False, help_text="Any part of its name or id.")
    person = forms.CharField(label="Person", max_length=150, required=False, help_text="Any part of a username.")
    status = forms.ChoiceField(label="Status", choices=[("", "any"), *STATUS_CHOICES], required=False)
    event = forms.ChoiceField(
        label="Event",
        choices=[("", "any"), *((name, name) for name in audit.EVENTS)],
        required=False,
    )
    record = forms.ChoiceField(label="Record", choices=audit.RECORDS, required=False)
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, data=None, *args, **kwargs) -> None:
        if data is not None and ("kind" in data or data.get("event") in audit.EVENT_ALIASES):
            # Older links: `kind=` for the event, and the ledger's raw kinds ("approve").
            data = data.copy()
            event = data.get("event") or data.get("kind", "")
            data.pop("kind", None)
            data["event"] = audit.EVENT_ALIASES.get(event, event)
        super().__init__(data, *args, **kwargs)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "“To” must not be before “From”.")
        return data


class ProductionOnForm(forms.Form):
    date = forms.DateField(label="Date (UTC)", widget=forms.DateInput(attrs={"type": "date"}))
