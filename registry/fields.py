"""Strict DRF fields: JSON types are taken as sent, never coerced.

DRF's stock fields turn `1` into `"1"` and `"1"` into `1`; the registry answers 400
instead, naming the field. Each limit enforced here is also what the OpenAPI document
states (drf-spectacular reads validators; the dict fields carry their schema).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# PostgreSQL cannot store NUL in text columns; stating it in the schema keeps the
# document and the server in agreement about what a valid string is. The `+` form is
# for fields that may not be blank (schema generators honour a pattern more surely
# than a minLength).
NO_NUL = RegexValidator(r"^[^\x00]*$", "Must not contain NUL characters.")
NO_NUL_NONBLANK = RegexValidator(r"^[^\x00]+$", "Must not be blank or contain NUL characters.")
# Names must say something: at least one visible character.
NAME = RegexValidator(r"^\s*[^\s\x00][^\x00]*$", "Must contain a non-whitespace character and no NUL.")

MAX_NAME = 200
MAX_DESCRIPTION = 5000
MAX_LABEL = 100
MAX_TAG = 64
MAX_TAGS = 50
MAX_PATH = 1000
# Metrics or parameters one request may send, and what one version or experiment may hold
# in all: experiments merge metrics PATCH after PATCH, so a request's cap alone bounds
# nothing (registry.services checks the merged total). A create sends at most MAX_ENTRIES,
# so it stays within MAX_STORED_ENTRIES by itself; keep MAX_ENTRIES ≤ MAX_STORED_ENTRIES.
MAX_ENTRIES = 100
MAX_STORED_ENTRIES = 1000
MAX_PARAMETER_VALUE = 1000
# Paging of the lists (`limit`, `offset` query parameters) and the size of a request body.
DEFAULT_LIMIT = 25
MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000_000
MAX_BODY_BYTES = 1_048_576
# A metric must be representable as an IEEE double.
METRIC_BOUND = 1e308


class StrictCharField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        if not kwargs.get("allow_blank", False):
            kwargs.setdefault("min_length", 1)
        super().__init__(**kwargs)
        if not any(isinstance(v, RegexValidator) for v in self.validators):
            self.validators.append(NO_NUL if self.allow_blank else NO_NUL_NONBLANK)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return data


class NameField(StrictCharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", MAX_NAME)
        kwargs.setdefault("validators", [NAME])
        super().__init__(**kwargs)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> int:
        # bool is an int subclass in Python; JSON `true` is not a number.
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return data


class StrictChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str) or data not in self.choices:
            self.fail("invalid_choice", input=data)
        return data


def _lone_surrogate(text: str) -> bool:
    # JSON may escape half a surrogate pair; such a string cannot be encoded back out.
    return any("\ud800" <= char <= "\udfff" for char in text)


def _check_key(key: Any) -> str | None:
    if not isinstance(key, str) or _lone_surrogate(key):
        return "Keys must be valid Unicode strings."
    return None


class _StringMapField(serializers.Field):
    value_error = ""

    def check_value(self, value: Any) -> bool:
        raise NotImplementedError

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise serializers.ValidationError("Expected a JSON object.")
        if len(data) > MAX_ENTRIES:
            raise serializers.ValidationError(f"At most {MAX_ENTRIES} entries.")
        errors: dict[str, list[str]] = {}
        for key, value in data.items():
            problem = _check_key(key)
            if problem:
                raise serializers.ValidationError(problem)
            if not self.check_value(value):
                errors[key] = [self.value_error]
        if errors:
            raise serializers.ValidationError(errors)
        return dict(data)

    def to_representation(self, value: Any) -> Any:
        return value


@extend_schema_field(
    {
        "type": "object",
        "maxProperties": MAX_ENTRIES,
        "additionalProperties": {"type": "number", "minimum": -METRIC_BOUND, "maximum": METRIC_BOUND},
        "description": f"Metric name → finite number (|value| ≤ 1e308, not a boolean); at most {MAX_ENTRIES} entries per request.",
    }
)
class MetricsField(_StringMapField):
    value_error = "Must be a finite number."

    def check_value(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        try:
            return math.isfinite(float(value)) and abs(value) <= METRIC_BOUND
        except OverflowError:
            return False


@extend_schema_field(
    {
        "type": "object",
        "maxProperties": MAX_ENTRIES,
        "additionalProperties": {"type": "string", "maxLength": MAX_PARAMETER_VALUE},
        "description": f"Parameter name → string value (≤ {MAX_PARAMETER_VALUE} characters); at most {MAX_ENTRIES} entries per request.",
    }
)
class ParametersField(_StringMapField):
    value_error = f"Must be a string of at most {MAX_PARAMETER_VALUE} characters."

    def check_value(self, value: Any) -> bool:
        return isinstance(value, str) and len(value) <= MAX_PARAMETER_VALUE and not _lone_surrogate(value)


class TagsField(serializers.ListField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("child", StrictCharField(max_length=MAX_TAG))
        kwargs.setdefault("max_length", MAX_TAGS)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[str]:
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)


_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})"
)


@extend_schema_field({"type": "string", "format": "date-time"})
class RFC3339DateTimeField(serializers.Field):
    """An RFC 3339 date-time with an offset, stored in UTC."""

    default_error_messages = {"invalid": "Must be an RFC 3339 date-time with an offset, e.g. 2026-01-31T12:00:00Z."}

    def to_internal_value(self, data: Any) -> datetime:
        match = _RFC3339.fullmatch(data) if isinstance(data, str) else None
        if match is None:
            self.fail("invalid")
        year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
        fraction = (match.group(7) or ".0")[1:7].ljust(6, "0")
        offset = match.group(8)
        try:
            # RFC 3339 admits a leap second; Python's datetime does not.
            moment = datetime(year, month, day, hour, minute, min(second, 59), int(fraction))
            if offset in ("Z", "z"):
                tz = UTC
            else:
                sign = 1 if offset[0] == "+" else -1
                tz = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
            moment = moment.replace(tzinfo=tz)
        except ValueError:
            self.fail("invalid")
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            # An offset that carries year 1 or 9999 past the calendar's edge.
            return (datetime.min if moment.year < 5000 else datetime.max).replace(tzinfo=UTC)

    def to_representation(self, value: Any) -> Any:
        return value
