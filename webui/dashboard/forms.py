"""Forms for every create and edit of the registry.

They validate everything the user can get wrong before anything is sent, so an
invalid form writes nothing. What only JFrog ML can judge (a duplicate name,
say) comes back as `ValidationFailed`/`Conflict` and is put on the form by
`add_upstream_errors`.
"""

from __future__ import annotations

import math
import re
from typing import Any

from django import forms

from webui.jfrogml.errors import Conflict, JFrogMLError, NotFound, Unavailable, ValidationFailed

NAME_MAX = 200
TAG_MAX = 64
TAGS_MAX = 30
KEY_MAX = 128
VALUE_MAX = 1000
LINES_MAX = 200
CPU_RE = re.compile(r"^(\d+(\.\d+)?|\d+m)$")
MEMORY_RE = re.compile(r"^\d+(\.\d+)?(Ki|Mi|Gi|Ti|K|M|G|T)?$")


def _no_control_chars(value: str, what: str) -> str:
    if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in value):
        raise forms.ValidationError(f"{what} contains control characters.")
    return value


class KeyValueField(forms.CharField):
    """`key=value`, one pair a line; each bad line is reported by its number.

    With `numeric=True` (metrics) every value must be a finite number.
    """

    widget = forms.Textarea(attrs={"rows": 5, "spellcheck": "false"})

    def __init__(self, *, numeric: bool = False, **kwargs) -> None:
        self.numeric = numeric
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            "One key=value a line" + (", values are numbers (e.g. accuracy=0.93)." if numeric else " (e.g. learning_rate=0.01)."),
        )
        super().__init__(**kwargs)

    def to_python(self, value: str | None) -> dict:  # type: ignore[override]
        text = super().to_python(value) or ""
        pairs: dict[str, float | str] = {}
        errors: list[str] = []
        lines = text.splitlines()
        if len(lines) > LINES_MAX:
            raise forms.ValidationError(f"At most {LINES_MAX} lines, please.")
        for number, raw in enumerate(lines, start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            key, sep, val = line.partition("=")
            key, val = key.strip(), val.strip()
            if not sep:
                errors.append(f"Line {number}: “{_clip(line)}” is not key=value.")
                continue
            if not key:
                errors.append(f"Line {number}: the key is empty.")
                continue
            if len(key) > KEY_MAX:
                errors.append(f"Line {number}: the key is longer than {KEY_MAX} characters.")
                continue
            if key in pairs:
                errors.append(f"Line {number}: “{_clip(key)}” is given twice.")
                continue
            if self.numeric:
                try:
                    number_value = float(val)
                except ValueError:
                    errors.append(f"Line {number}: “{_clip(val)}” is not a number (key “{_clip(key)}”).")
                    continue
                if not math.isfinite(number_value):
                    errors.append(f"Line {number}: the value of “{_clip(key)}” must be a finite number.")
                    continue
                pairs[key] = number_value
            else:
                if len(val) > VALUE_MAX:
                    errors.append(f"Line {number}: the value is longer than {VALUE_MAX} characters.")
                    continue
                pairs[key] = val
        if errors:
            raise forms.ValidationError(errors)
        return pairs

    def validate(self, value: dict) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class RegistryModelForm(forms.Form):
    """A JFrog ML model (not a Django model): create and edit."""

    name = forms.CharField(max_length=NAME_MAX)
    description = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    framework = forms.CharField(required=False, max_length=100, help_text="e.g. pytorch, tensorflow, sklearn")
    task_type = forms.CharField(required=False, max_length=100, help_text="e.g. classification, regression, nlp")
    tags = forms.CharField(required=False, max_length=2000, help_text="Comma-separated, e.g. fraud, prod-candidate")

    def __init__(self, *args: Any, upstream: Any = None, editing: bool = False, **kwargs: Any) -> None:
        """`upstream`: what it can do (webui.jfrogml.capabilities); fields it cannot
        keep are not offered (the JFrog ML platform: no rename, no framework or tags)."""
        super().__init__(*args, **kwargs)
        self.without_facts = upstream is not None and not upstream.model_facts
        if self.without_facts:
            for name in ("framework", "task_type", "tags"):
                del self.fields[name]
        if editing and upstream is not None and not upstream.model_rename:
            self.fields["name"].widget.attrs["readonly"] = True
            self.fields["name"].help_text = "JFrog ML cannot rename a model."

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.without_facts:
            data.update(framework=None, task_type=None, tags=None)  # None: not given
        return data

    def clean_name(self) -> str:
        name = _no_control_chars(self.cleaned_data["name"].strip(), "The name")
        if not name:
            raise forms.ValidationError("The name cannot be blank.")
        return name

    def clean_tags(self) -> list[str]:
        raw = self.cleaned_data.get("tags") or ""
        tags: list[str] = []
        for tag in (t.strip() for t in raw.split(",")):
            if not tag:
                continue
            if len(tag) > TAG_MAX:
                raise forms.ValidationError(f"The tag “{_clip(tag)}” is longer than {TAG_MAX} characters.")
            _no_control_chars(tag, "A tag")
            if tag not in tags:
                tags.append(tag)
        if len(tags) > TAGS_MAX:
            raise forms.ValidationError(f"At most {TAGS_MAX} tags.")
        return tags


class VersionForm(forms.Form):
    """A new model version. There is deliberately no status: new versions are draft."""

    version = forms.CharField(max_length=100, help_text="e.g. 1.4.0")
    description = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    artifact_path = forms.CharField(required=False, max_length=1000, help_text="Path of the artifact in Artifactory")
    metrics = KeyValueField(numeric=True)
    parameters = KeyValueField()

    def clean_version(self) -> str:
        version = _no_control_chars(self.cleaned_data["version"].strip(), "The version")
        if not version:
            raise forms.ValidationError("The version cannot be blank.")
        return version


class ExperimentForm(forms.Form):
    name = forms.CharField(max_length=NAME_MAX)
    description = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    model_id = forms.ChoiceField(label="Model", required=False)
    parameters = KeyValueField()

    def __init__(self, *args, model_choices: list[tuple[str, str]] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model_id"].choices = [("", "— none —"), *(model_choices or [])]

    def clean_name(self) -> str:
        name = _no_control_chars(self.cleaned_data["name"].strip(), "The name")
        if not name:
            raise forms.ValidationError("The name cannot be blank.")
        return name


class DeploymentForm(forms.Form):
    """Deploy one version of one model: the model is chosen first, then its version."""

    name = forms.CharField(max_length=NAME_MAX)
    model_id = forms.CharField(label="Model", widget=forms.HiddenInput)
    model_version_id = forms.ChoiceField(label="Version")
    replicas = forms.IntegerField(min_value=1, max_value=100, initial=1)
    cpu = forms.CharField(label="CPU", required=False, max_length=16, help_text="Cores (2, 0.5) or millicores (500m)")
    memory = forms.CharField(required=False, max_length=16, help_text="e.g. 512Mi, 2Gi")
    gpu = forms.IntegerField(label="GPU", required=False, min_value=0, max_value=16)
    override_reason = forms.CharField(
        label="Reason to deploy a version that is not staging or production",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Reviewers only; recorded in the activity record with the deploy.",
    )

    def __init__(
        self, *args, version_choices: list[tuple[str, str]] | None = None, may_override: bool = False, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model_version_id"].choices = list(version_choices or [])
        if not may_override:
            del self.fields["override_reason"]

    def clean_name(self) -> str:
        name = _no_control_chars(self.cleaned_data["name"].strip(), "The name")
        if not name:
            raise forms.ValidationError("The name cannot be blank.")
        return name

    def clean_cpu(self) -> str:
        cpu = self.cleaned_data.get("cpu", "").strip()
        if cpu and not CPU_RE.match(cpu):
            raise forms.ValidationError("CPU must be a number of cores (2, 0.5) or millicores (500m).")
        return cpu

    def clean_memory(self) -> str:
        memory = self.cleaned_data.get("memory", "").strip()
        if memory and not MEMORY_RE.match(memory):
            raise forms.ValidationError("Memory must be a size such as 512Mi or 2Gi.")
        return memory


class DestructiveForm(forms.Form):
    """What a destructive action asks before it runs: the object's name typed (when
    asked for), and an explicit choice to stop what is live with it."""

    confirm_name = forms.CharField(label="Type the name to confirm", required=False, max_length=2000)
    stop_live = forms.BooleanField(required=False)

    def __init__(self, *args, expected_name: str | None = None, live: int = 0, live_label: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.expected_name, self.live = expected_name, live
        if expected_name is None:
            del self.fields["confirm_name"]
        if expected_name is not None:
            self.fields["confirm_name"].required = True
        if live:
            field = self.fields["stop_live"]
            field.label, field.required = live_label, True
            them = "them" if live != 1 else "it"
            field.error_messages["required"] = (
                f"{live} deployment{'s are' if live != 1 else ' is'} live: choose to stop {them} as part of this, "
                f"or stop {them} first."
            )
        else:
            del self.fields["stop_live"]

    def clean_confirm_name(self) -> str:
        typed = self.cleaned_data.get("confirm_name", "")
        if typed.strip() != (self.expected_name or "").strip():
            raise forms.ValidationError(f"Type “{self.expected_name}” exactly to confirm.")
        return typed


def add_upstream_errors(form: forms.Form, exc: JFrogMLError, *, field_map: dict[str, str] | None = None) -> None:
    """Put JFrog ML's refusal on the form: on the field it names, else on top.

    `field_map` maps upstream field names to form field names where they differ.
    """
    if isinstance(exc, ValidationFailed) and exc.fields:
        for name, messages in exc.fields.items():
            target = (field_map or {}).get(name, name)
            text = " ".join(str(m) for m in messages) if isinstance(messages, list | tuple) else str(messages)
            if target in form.fields:
                form.add_error(target, f"JFrog ML: {text}")
            else:
                form.add_error(None, f"JFrog ML rejected {name}: {text}")
        return
    if isinstance(exc, Unavailable):
        form.add_error(None, f"{exc.message} Nothing was saved; try again in a moment.")
        return
    if isinstance(exc, NotFound):
        form.add_error(None, f"JFrog ML no longer has what this refers to: {exc.message}")
        return
    if isinstance(exc, Conflict):
        form.add_error(None, f"JFrog ML refused this as a conflict: {exc.message}")
        return
    form.add_error(None, f"JFrog ML did not accept this: {exc.message}")


class ExperimentUpdateForm(forms.Form):
    """Record an experiment's outcome: its status and metrics (a registry extension)."""

    status = forms.ChoiceField(
        required=False,
        choices=[("", "— unchanged —"), ("running", "running"), ("completed", "completed"), ("failed", "failed"), ("cancelled", "cancelled")],
        help_text="A finished experiment (completed, failed, cancelled) cannot change status again.",
    )
    metrics = KeyValueField(numeric=True, help_text="One key=value a line; merged into the recorded metrics.")

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.errors and not cleaned.get("status") and not cleaned.get("metrics"):
            raise forms.ValidationError("Change the status or add metrics: there is nothing to save.")
        return cleaned


class DeploymentUpdateForm(forms.Form):
    """Scale a deployment, or stop or redeploy it (a registry extension)."""

    replicas = forms.IntegerField(min_value=1, max_value=100)
    status = forms.ChoiceField(
        required=False,
        choices=[("", "— unchanged —"), ("stopped", "stop"), ("deploying", "redeploy")],
        label="Action",
    )
