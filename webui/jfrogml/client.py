"""The one HTTP client for JFrog ML: every call goes through `JFrogMLClient._request()`.

`_request()` builds the URL (quoting path parts), adds auth, sets connect and read
timeouts within an overall budget, retries idempotent requests with jittered
exponential backoff (connection errors, 429/502/503/504, `Retry-After` honoured;
never a POST), consults the circuit breaker, maps every failure to the
`webui.jfrogml.errors` hierarchy, counts the call by purpose and logs one line per
HTTP request (method, path, status, duration, request id; never credentials).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

from webui.jfrogml import errors
from webui.jfrogml.answers import (
    DEFAULT_MAX_RESPONSE_BYTES,
    BodyRefused,
    error_from_response,
    parse_retry_after,
    read_body,
)
from webui.jfrogml.breaker import Breaker
from webui.jfrogml.resources import (
    Deployment,
    Experiment,
    Model,
    ModelPage,
    ModelVersion,
    parse_deployments,
    parse_experiments,
    parse_model_page,
    parse_versions,
)
from webui.metrics import instruments

log = logging.getLogger("pond.jfrogml")

USER_AGENT = f"Pond/0.1 (JFrog ML dashboard) python-requests/{requests.__version__}"
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})

# --- call counters -----------------------------------------------------------------
# Per-process counts of HTTP requests sent upstream, split by purpose, so that tests
# and the benchmark can assert that a page costs a fixed number of calls.

_purpose: ContextVar[str] = ContextVar("jfrogml_purpose", default="page")
_counts: Counter[str] = Counter()
_counts_lock = threading.Lock()


@contextlib.contextmanager
def call_purpose(name: str) -> Iterator[None]:
    """Attribute the upstream calls made inside the block to `name` ("catalog", "poller")."""
    token = _purpose.set(name)
    try:
        yield
    finally:
        _purpose.reset(token)


def upstream_calls(purpose: str | None = None) -> int:
    """HTTP requests sent upstream by this process (all purposes, or one)."""
    with _counts_lock:
        return sum(_counts.values()) if purpose is None else _counts[purpose]


def reset_upstream_calls() -> None:
    with _counts_lock:
        _counts.clear()


def _count() -> None:
    with _counts_lock:
        _counts[_purpose.get()] += 1


def upstream_namespace(base_url: str | None = None) -> str:
    """A cache namespace per upstream, so that two upstreams' data never mix."""
    url = (base_url if base_url is not None else settings.JFROG_ML_URL).rstrip("/")
    if base_url is None and getattr(settings, "JFROG_ML_PROTOCOL", "rest") == "grpc":
        # The platform's data lives at its control plane, its tenant at the URL.
        url = f"grpc:{settings.JFROG_ML_GRPC_ADDRESS}|{url}"
    return "jfml:" + hashlib.sha256(url.encode()).hexdigest()[:12]


_UNADDRESSABLE = frozenset({"", ".", ".."})


# --- the client ----------------------------------------------------------------------


def _iso(value: datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _body(**fields: Any) -> dict[str, Any]:
    """A request body of only the fields the caller gave (None means "not given")."""
    return {k: v for k, v in fields.items() if v is not None}


_Resource = TypeVar("_Resource", Model, ModelVersion, Experiment, Deployment)


def _the_one_asked_for(resource: _Resource, requested_id: str) -> _Resource:
    """A 200 about another object is a bad answer, not data: it must never be cached
    over the last good copy of the one asked for (found by the fault drills)."""
    if resource.id and resource.id != requested_id:
        raise errors.BadResponse(f"JFrog ML answered with object {resource.id!r} when asked for {requested_id!r}.")
    return resource


class JFrogMLClient:
    """One method per JFrog ML operation (and per registry extension)."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        token: str | None = None,
        user: str | None = None,
        password: str | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        retries: int | None = None,
        backoff: float | None = None,
        budget: float | None = None,
        use_breaker: bool = True,
    ) -> None:
        self.base_url = (base_url if base_url is not None else settings.JFROG_ML_URL).rstrip("/")
        self.connect_timeout = float(connect_timeout if connect_timeout is not None else settings.JFROG_ML_CONNECT_TIMEOUT)
        self.read_timeout = float(read_timeout if read_timeout is not None else settings.JFROG_ML_READ_TIMEOUT)
        self.retries = int(retries if retries is not None else settings.JFROG_ML_RETRIES)
        self.backoff = float(backoff if backoff is not None else settings.JFROG_ML_BACKOFF)
        # The whole call, retries and waits included, ends within this budget.
        default_budget = getattr(settings, "JFROG_ML_BUDGET", None) or (self.connect_timeout + 2 * self.read_timeout)
        self.budget = float(budget if budget is not None else default_budget)
        self.max_body_bytes = int(getattr(settings, "JFROG_ML_MAX_RESPONSE_BYTES", DEFAULT_MAX_RESPONSE_BYTES))
        self.namespace = upstream_namespace(self.base_url)
        self.breaker = Breaker(self.namespace) if use_breaker else None

        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers["Accept"] = "application/json"
        if token is None and user is None:
            token, user, password = settings.JFROG_ML_TOKEN, settings.JFROG_ML_USER, settings.JFROG_ML_PASSWORD
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        elif user:
            self.session.auth = (user, password or "")
        # Retries are ours (budget-aware, POST-safe): none in the adapter.
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def __repr__(self) -> str:  # never shows credentials
        return f"JFrogMLClient({self.base_url!r})"

    def close(self) -> None:
        self.session.close()

    # --- the choke point ---------------------------------------------------------

    def _url(self, parts: tuple[str, ...]) -> str:
        return self.base_url + "/" + "/".join(quote(str(p), safe="") for p in parts)

    def _request(
        self,
        method: str,
        parts: tuple[str, ...],
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> Any:
        """Send one logical call; return the parsed JSON body (None when empty)."""
        if any(str(part) in _UNADDRESSABLE for part in parts):
            # Each id is sent percent-encoded as one segment, but "", "." and ".." would
            # still name another resource ("versions/.." is the model): refused unsent.
            raise errors.NotFound("No object with an id that is empty, '.' or '..' can be reached through the API.")
        url = self._url(parts)
        path = "/" + "/".join(parts)
        params = {k: v for k, v in (params or {}).items() if v is not None} or None
        deadline = time.monotonic() + self.budget
        admitted = self.breaker.before_call() if self.breaker is not None else "unguarded"
        attempt = 0
        while True:
            attempt += 1
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._record(errors.Unavailable("JFrog ML did not answer within Pond's time budget."))
            request_id = uuid.uuid4().hex[:16]
            timeout = (min(self.connect_timeout, remaining), min(self.read_timeout, remaining))
            started = time.monotonic()
            _count()
            resp: requests.Response | None = None
            error: errors.JFrogMLError | None = None
            try:
                answer = self.session.request(
                    method,
                    url,
                    params=params,
                    json=body,
                    headers={"X-Request-ID": request_id},
                    timeout=timeout,
                    allow_redirects=False,
                    stream=True,
                )
                read_body(answer, deadline, self.max_body_bytes)
                resp = answer  # only a response whose body arrived whole is an answer
            except BodyRefused as exc:
                error = errors.Unavailable(str(exc), request_id=request_id)
                error.__cause__ = exc
            except requests.Timeout as exc:
                error = errors.Unavailable(f"JFrog ML did not answer within {timeout[1]:.1f} s.", request_id=request_id)
                error.__cause__ = exc
            except requests.RequestException as exc:
                # Refused, reset, DNS, or the connection dropped mid-body.
                error = errors.Unavailable(
                    f"Could not reach JFrog ML ({exc.__class__.__name__}).", request_id=request_id
                )
                error.__cause__ = exc
            elapsed_ms = (time.monotonic() - started) * 1000
            instruments.upstream_call_observed(  # metrics (webui/metrics/): one per HTTP request
                method=method,
                parts=parts,
                result=str(resp.status_code) if resp is not None else type(error.__cause__).__name__,
                seconds=elapsed_ms / 1000,
            )
            log.info(
                "%s %s %s %.1fms request_id=%s attempt=%d purpose=%s breaker=%s",
                method,
                path,
                resp.status_code if resp is not None else type(error.__cause__).__name__,
                elapsed_ms,
                (resp.headers.get("X-Request-ID") if resp is not None else None) or request_id,
                attempt,
                _purpose.get(),
                admitted,
            )
            if resp is not None:
                if 200 <= resp.status_code < 300:
                    return self._record(None, self._parse(resp))
                if method == "DELETE" and attempt > 1 and resp.status_code == 404:
                    # An earlier attempt deleted it and its answer was lost.
                    return self._record(None, None)
                error = error_from_response(resp)
            assert error is not None
            retryable = method in IDEMPOTENT and (resp is None or resp.status_code in RETRY_STATUSES)
            if not retryable or attempt > self.retries:
                return self._record(error)
            delay = self.backoff * (2 ** (attempt - 1)) * (0.5 + random.random())
            if isinstance(error, errors.RateLimited) and error.retry_after is not None:
                delay = error.retry_after
            elif resp is not None and resp.headers.get("Retry-After"):
                delay = parse_retry_after(resp.headers.get("Retry-After")) or delay
            if time.monotonic() + delay >= deadline - 0.05:
                # Waiting would overrun the budget: fail now rather than late.
                return self._record(error)
            time.sleep(delay)

    def _record(self, error: errors.JFrogMLError | None, result: Any = None) -> Any:
        """Tell the breaker how the call went, then return its result or raise its error."""
        if self.breaker is not None:
            if isinstance(error, errors.Unavailable):
                self.breaker.record_failure()
            else:
                self.breaker.record_success()
        if error is not None:
            raise error
        return result

    @staticmethod
    def _parse(resp: requests.Response) -> Any:
        if resp.status_code == 204 or not resp.content.strip():
            return None
        try:
            return json.loads(resp.content)
        except ValueError as exc:
            raise errors.BadResponse("JFrog ML sent a response that is not valid JSON.") from exc

    def _extension(self, method: str, parts: tuple[str, ...], body: dict[str, Any]) -> Any:
        """Call a registry extension; tell "no such operation" from "no such object".

        A server without the extension answers 405 (route exists, method not) or 404
        (no route). A 404 is ambiguous, so the resource itself is probed with a GET.
        """
        try:
            return self._request(method, parts, body=body)
        except errors.NotFound as exc:
            try:
                self._request("GET", parts)
            except errors.NotFound:
                raise exc from None
            raise errors.OperationUnsupported(
                f"This JFrog ML server does not support {method} on this resource.", status=404
            ) from exc

    @staticmethod
    def _parse_or_none(parser, data: Any) -> Any:
        return parser(data) if isinstance(data, dict) and data else None

    # --- models ------------------------------------------------------------------

    def list_models(self, *, limit: int | None = None, offset: int | None = None) -> ModelPage:
        return parse_model_page(self._request("GET", ("v1", "models"), params={"limit": limit, "offset": offset}))

    def create_model(
        self,
        *,
        name: str,
        description: str | None = None,
        framework: str | None = None,
        task_type: str | None = None,
        tags: list[str] | tuple[str, ...] | None = None,
    ) -> Model:
        body = _body(
            name=name,
            description=description,
            framework=framework,
            task_type=task_type,
            tags=list(tags) if tags is not None else None,
        )
        return Model.from_json(self._request("POST", ("v1", "models"), body=body))

    def get_model(self, model_id: str) -> Model:
        return _the_one_asked_for(Model.from_json(self._request("GET", ("v1", "models", model_id))), model_id)

    def update_model(
        self,
        model_id: str,
        *,
        name: str,
        description: str | None = None,
        framework: str | None = None,
        task_type: str | None = None,
        tags: list[str] | tuple[str, ...] | None = None,
    ) -> Model | None:
        """PUT; the spec's 200 has no body, so None unless the server sends the model."""
        body = _body(
            name=name,
            description=description,
            framework=framework,
            task_type=task_type,
            tags=list(tags) if tags is not None else None,
        )
        return self._parse_or_none(Model.from_json, self._request("PUT", ("v1", "models", model_id), body=body))

    def delete_model(self, model_id: str) -> None:
        self._request("DELETE", ("v1", "models", model_id))

    # --- model versions --------------------------------------------------------------

    def list_model_versions(self, model_id: str) -> list[ModelVersion]:
        return parse_versions(self._request("GET", ("v1", "models", model_id, "versions")))

    def create_model_version(
        self,
        model_id: str,
        *,
        version: str,
        description: str | None = None,
        status: str | None = None,
        artifact_path: str | None = None,
        metrics: dict[str, float] | None = None,
        parameters: dict[str, str] | None = None,
    ) -> ModelVersion:
        body = _body(
            version=version,
            description=description,
            status=status,
            artifact_path=artifact_path,
            metrics=metrics,
            parameters=parameters,
        )
        return ModelVersion.from_json(self._request("POST", ("v1", "models", model_id, "versions"), body=body))

    def get_model_version(self, model_id: str, version_id: str) -> ModelVersion:
        data = self._request("GET", ("v1", "models", model_id, "versions", version_id))
        return _the_one_asked_for(ModelVersion.from_json(data), version_id)

    def delete_model_version(self, model_id: str, version_id: str) -> None:
        self._request("DELETE", ("v1", "models", model_id, "versions", version_id))

    def update_model_version(
        self, model_id: str, version_id: str, *, status: str | None = None, description: str | None = None
    ) -> ModelVersion | None:
        """Registry extension: PATCH a version's status or description."""
        data = self._extension(
            "PATCH", ("v1", "models", model_id, "versions", version_id), _body(status=status, description=description)
        )
        return self._parse_or_none(ModelVersion.from_json, data)

    # --- experiments -----------------------------------------------------------------

    def list_experiments(self, model_id: str | None = None) -> list[Experiment]:
        return parse_experiments(self._request("GET", ("v1", "experiments"), params={"model_id": model_id or None}))

    def create_experiment(
        self,
        *,
        name: str,
        description: str | None = None,
        model_id: str | None = None,
        parameters: dict[str, str] | None = None,
    ) -> Experiment:
        body = _body(name=name, description=description, model_id=model_id or None, parameters=parameters)
        return Experiment.from_json(self._request("POST", ("v1", "experiments"), body=body))

    def get_experiment(self, experiment_id: str) -> Experiment:
        data = self._request("GET", ("v1", "experiments", experiment_id))
        return _the_one_asked_for(Experiment.from_json(data), experiment_id)

    def delete_experiment(self, experiment_id: str) -> None:
        self._request("DELETE", ("v1", "experiments", experiment_id))

    def update_experiment(
        self,
        experiment_id: str,
        *,
        status: str | None = None,
        metrics: dict[str, float] | None = None,
        completed_at: datetime | str | None = None,
    ) -> Experiment | None:
        """Registry extension: PATCH an experiment's status, metrics or completion time."""
        body = _body(status=status, metrics=metrics, completed_at=_iso(completed_at))
        return self._parse_or_none(Experiment.from_json, self._extension("PATCH", ("v1", "experiments", experiment_id), body))

    # --- deployments -----------------------------------------------------------------

    def list_deployments(self) -> list[Deployment]:
        return parse_deployments(self._request("GET", ("v1", "deployments")))

    def create_deployment(
        self,
        *,
        name: str,
        model_id: str,
        model_version_id: str,
        replicas: int | None = None,
        resources: dict[str, Any] | None = None,
    ) -> Deployment:
        body = _body(
            name=name,
            model_id=model_id,
            model_version_id=model_version_id,
            replicas=replicas,
            resources=_body(**resources) if resources else None,
        )
        return Deployment.from_json(self._request("POST", ("v1", "deployments"), body=body))

    def get_deployment(self, deployment_id: str) -> Deployment:
        data = self._request("GET", ("v1", "deployments", deployment_id))
        return _the_one_asked_for(Deployment.from_json(data), deployment_id)

    def delete_deployment(self, deployment_id: str) -> None:
        self._request("DELETE", ("v1", "deployments", deployment_id))

    def update_deployment(
        self, deployment_id: str, *, replicas: int | None = None, status: str | None = None
    ) -> Deployment | None:
        """Registry extension: PATCH replicas (scale) or status (stop, fail, redeploy)."""
        data = self._extension("PATCH", ("v1", "deployments", deployment_id), _body(replicas=replicas, status=status))
        return self._parse_or_none(Deployment.from_json, data)


# --- one client per thread and configuration -------------------------------------------

_clients = threading.local()


def get_client() -> JFrogMLClient:
    """The client for the current settings (read at call time: tests change them).

    One per thread and configuration, so that its Session's connection pool is
    reused without sharing a Session between threads. With JFROG_ML_PROTOCOL=grpc it
    is the JFrog ML platform's client (webui/jfrogml/platform/), with the same
    methods and resources; only then are grpc and JFrog's SDK imported.
    """
    protocol = getattr(settings, "JFROG_ML_PROTOCOL", "rest")
    key = (
        protocol,
        getattr(settings, "JFROG_ML_GRPC_ADDRESS", ""),
        getattr(settings, "JFROG_ML_GRPC_TLS", True),
        getattr(settings, "JFROG_ML_GRPC_CA_FILE", ""),
        tuple(getattr(settings, "JFROG_ML_PROJECTS", ()) or ()),
        settings.JFROG_ML_URL,
        settings.JFROG_ML_TOKEN,
        settings.JFROG_ML_USER,
        settings.JFROG_ML_PASSWORD,
        settings.JFROG_ML_CONNECT_TIMEOUT,
        settings.JFROG_ML_READ_TIMEOUT,
        settings.JFROG_ML_RETRIES,
        settings.JFROG_ML_BACKOFF,
        getattr(settings, "JFROG_ML_BUDGET", None),
        settings.JFROG_ML_BREAKER_THRESHOLD,
        settings.JFROG_ML_BREAKER_RESET,
        repr(settings.CACHES.get("default")),
    )
    cached = getattr(_clients, "by_key", None)
    if cached is None:
        cached = _clients.by_key = {}
    client = cached.get(key)
    if client is None:
        if len(cached) > 8:  # settings churn (tests): don't hoard sessions
            for old in cached.values():
                old.close()
            cached.clear()
        if protocol == "grpc":
            from webui.jfrogml.platform.client import PlatformClient

            client = cached[key] = PlatformClient()
        else:
            client = cached[key] = JFrogMLClient()
    return client
