"""The JFrog ML platform over gRPC, behind the same methods as the REST client.

`PlatformClient` has `JFrogMLClient`'s methods and returns the same typed resources
(`platform.convert`), so the services, pages, poller, reviews and insights above it
do not know which upstream answers. It talks through the generated stubs of JFrog's
SDK (`frogml._proto`), never hand-written protobufs, and keeps the REST client's
promises in its own choke point, `_call()`: the circuit breaker (shared state, per
upstream), a time budget per logical call (each attempt's gRPC deadline is what is
left of it), retries of reads only on UNAVAILABLE, one error hierarchy, counters by
purpose and one log line per call (service, method, code, duration; never metadata).

The token and the tenant id travel as call metadata (`authorization: Bearer …`,
`x-jfrog-tenant-id`) only on a TLS channel, as the SDK does; on a plaintext channel
(JFROG_ML_GRPC_TLS=false, for a local mock) no credential is sent at all.

What the platform cannot do raises `OperationUnsupported` (a version's status, a
model's name, experiments written by hand, deploying without an environment spec):
the service layer and the forms already know that answer.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from typing import Any

from django.conf import settings

from webui.jfrogml import errors
from webui.jfrogml.breaker import Breaker
from webui.jfrogml.client import _count, _purpose
from webui.jfrogml.platform import convert
from webui.jfrogml.platform.auth import PlatformAuth
from webui.jfrogml.resources import Deployment, Experiment, Model, ModelPage, ModelVersion
from webui.metrics import instruments

log = logging.getLogger("pond.jfrogml")

NO_VERSION_STATUS = (
    "The JFrog ML platform has no draft, staging or production for a model version: "
    "Pond's ledger records the decision and is the version's status."
)

_channels: dict[tuple, Any] = {}
_channels_lock = threading.Lock()

# Shared by every thread's client of this process (a page's parts run on pool threads):
# model id -> uuid (never changes), and (namespace, limit, offset) -> the cursor that
# continues there ("" after the last page), so pages asked for in order cost one call each.
_uuids: dict[tuple[str, str], str] = {}
_cursors: dict[tuple[str, int, int], str] = {}
_memo_lock = threading.Lock()


def _channel(address: str, *, tls: bool, ca_file: str):
    """One channel per process and configuration (channels are thread-safe and
    multiplex calls); made on first use, never at import, so a fork makes its own."""
    key = (address, tls, ca_file)
    with _channels_lock:
        channel = _channels.get(key)
        if channel is None:
            import grpc

            options = [
                ("grpc.enable_retries", 0),
                ("grpc.max_receive_message_length", 64 * 1024 * 1024),
            ]
            if tls:
                roots = None
                if ca_file:
                    with open(ca_file, "rb") as fh:
                        roots = fh.read()
                channel = grpc.secure_channel(
                    address, grpc.ssl_channel_credentials(root_certificates=roots), options=options
                )
            else:
                channel = grpc.insecure_channel(address, options=options)
            _channels[key] = channel
        return channel


def close_channels() -> None:
    """Close every channel of this process (tests that stop a server use it)."""
    with _channels_lock:
        for channel in _channels.values():
            channel.close()
        _channels.clear()


def _error(exc: Any, *, what: str) -> errors.JFrogMLError:
    """A grpc.RpcError → Pond's hierarchy (the one place)."""
    import grpc

    code = exc.code() if hasattr(exc, "code") else None
    detail = (exc.details() if hasattr(exc, "details") else "") or ""
    detail = detail[:300]
    C = grpc.StatusCode
    if code == C.NOT_FOUND:
        return errors.NotFound(f"JFrog ML has no such {what}.", code="NOT_FOUND")
    if code == C.UNAUTHENTICATED:
        return errors.Unauthorized(
            "JFrog ML refused Pond's access token (UNAUTHENTICATED).",
            status=401,
            code="UNAUTHENTICATED",
        )
    if code == C.PERMISSION_DENIED:
        return errors.Forbidden(
            "Pond's access token may not do this in JFrog ML (PERMISSION_DENIED).",
            status=403,
            code="PERMISSION_DENIED",
        )
    if code in (C.INVALID_ARGUMENT, C.FAILED_PRECONDITION, C.OUT_OF_RANGE):
        return errors.ValidationFailed(
            f"JFrog ML refused the request: {detail}" if detail else None, code=code.name
        )
    if code in (C.ALREADY_EXISTS, C.ABORTED):
        return errors.Conflict(
            f"JFrog ML: {detail}" if detail else None, status=409, code=code.name
        )
    if code == C.UNIMPLEMENTED:
        return errors.OperationUnsupported(
            f"This JFrog ML server does not implement this call ({what}).",
            status=501,
            code="UNIMPLEMENTED",
        )
    if code == C.RESOURCE_EXHAUSTED:
        return errors.RateLimited(code="RESOURCE_EXHAUSTED")
    if code == C.DEADLINE_EXCEEDED:
        return errors.Unavailable(
            "JFrog ML did not answer within Pond's time budget.", code="DEADLINE_EXCEEDED"
        )
    name = code.name if code is not None else type(exc).__name__
    return errors.Unavailable(f"Could not reach JFrog ML ({name}).", code=name)


class PlatformClient:
    """One method per operation Pond needs, as `JFrogMLClient` has them."""

    protocol = "grpc"

    def __init__(self) -> None:
        from webui.jfrogml.client import upstream_namespace

        self.base_url = settings.JFROG_ML_URL.rstrip("/")
        self.address = settings.JFROG_ML_GRPC_ADDRESS
        self.tls = bool(settings.JFROG_ML_GRPC_TLS)
        self.ca_file = settings.JFROG_ML_GRPC_CA_FILE or ""
        self.projects = tuple(settings.JFROG_ML_PROJECTS or ())
        self.connect_timeout = float(settings.JFROG_ML_CONNECT_TIMEOUT)
        self.read_timeout = float(settings.JFROG_ML_READ_TIMEOUT)
        self.retries = int(settings.JFROG_ML_RETRIES)
        self.backoff = float(settings.JFROG_ML_BACKOFF)
        default_budget = getattr(settings, "JFROG_ML_BUDGET", None) or (
            self.connect_timeout + 2 * self.read_timeout
        )
        self.budget = float(default_budget)
        self.namespace = upstream_namespace()
        self.breaker = Breaker(self.namespace)
        self.auth = PlatformAuth(
            base_url=self.base_url, token=settings.JFROG_ML_TOKEN or "", namespace=self.namespace
        )
        self._stubs: dict[str, Any] = {}

    def __repr__(self) -> str:  # never shows credentials
        return f"PlatformClient({self.address!r}, tls={self.tls})"

    def close(self) -> None:
        """Channels are shared by the process (`close_channels`)."""

    # --- the choke point ----------------------------------------------------------

    def _stub(self, name: str):
        stub = self._stubs.get(name)
        if stub is None:
            channel = _channel(self.address, tls=self.tls, ca_file=self.ca_file)
            if name == "models":
                from frogml._proto.qwak.models.models_pb2_grpc import (
                    ModelsManagementServiceStub as Stub,
                )
            elif name == "builds":
                from frogml._proto.qwak.build.v1.build_api_pb2_grpc import BuildAPIStub as Stub
            elif name == "deployments":
                from frogml._proto.com.jfrog.ml.model.deployment.v1.deployment_service_pb2_grpc import (
                    ModelDeploymentServiceStub as Stub,
                )
            elif name == "projects":
                from frogml._proto.qwak.projects.projects_pb2_grpc import (
                    ProjectsManagementServiceStub as Stub,
                )
            else:  # pragma: no cover - a typo in this module
                raise KeyError(name)
            stub = self._stubs[name] = Stub(channel)
        return stub

    def _metadata(self) -> list[tuple[str, str]]:
        if not self.tls:
            return []  # never a credential in plaintext
        return [
            ("authorization", f"Bearer {self.auth.token()}"),
            ("x-jfrog-tenant-id", self.auth.tenant_id()),
        ]

    def _call(
        self, service: str, method: str, request: Any, *, what: str, read: bool = True
    ) -> Any:
        """Send one logical call; return the response message or raise Pond's error."""
        import grpc

        deadline = time.monotonic() + self.budget
        admitted = self.breaker.before_call()
        try:
            metadata = self._metadata()
        except errors.JFrogMLError as exc:  # a refused token, or no tenant lookup
            return self._record(exc)
        rpc = getattr(self._stub(service), method)
        attempt = 0
        while True:
            attempt += 1
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return self._record(
                    errors.Unavailable("JFrog ML did not answer within Pond's time budget.")
                )
            timeout = min(self.connect_timeout + self.read_timeout, remaining)
            started = time.monotonic()
            _count()
            error: errors.JFrogMLError | None = None
            code = "OK"
            try:
                response = rpc(request, timeout=timeout, metadata=metadata)
            except grpc.RpcError as exc:
                error = _error(exc, what=what)
                code = (
                    exc.code().name if hasattr(exc, "code") and exc.code() else type(exc).__name__
                )
            elapsed = time.monotonic() - started
            instruments.upstream_call_observed(
                # "POST /grpc-models/listmodels": fixed words only, never an id.
                method="POST",
                parts=(f"grpc-{service}", method.lower()),
                result=code,
                seconds=elapsed,
            )
            log.info(
                "grpc %s.%s %s %.1fms attempt=%d purpose=%s breaker=%s",
                service,
                method,
                code,
                elapsed * 1000,
                attempt,
                _purpose.get(),
                admitted,
            )
            if error is None:
                return self._record(None, response)
            retryable = read and code == "UNAVAILABLE"
            if not retryable or attempt > self.retries:
                return self._record(error)
            delay = self.backoff * (2 ** (attempt - 1)) * (0.5 + random.random())
            if time.monotonic() + delay >= deadline - 0.05:
                return self._record(error)
            time.sleep(delay)

    def _record(self, error: errors.JFrogMLError | None, result: Any = None) -> Any:
        if isinstance(error, errors.Unavailable):
            self.breaker.record_failure()
        else:
            self.breaker.record_success()
        if error is not None:
            raise error
        return result

    @staticmethod
    def _unsupported(message: str) -> errors.OperationUnsupported:
        return errors.OperationUnsupported(message, status=501)

    # --- models ------------------------------------------------------------------

    def _project_ids(self) -> list[str]:
        if self.projects:
            return list(self.projects)
        from frogml._proto.qwak.projects import projects_pb2

        answer = self._call(
            "projects", "ListProjects", projects_pb2.ListProjectsRequest(), what="project list"
        )
        return [p.project_id for p in answer.projects if p.project_id]

    def list_models(self, *, limit: int | None = None, offset: int | None = None) -> ModelPage:
        """Cursor paging (`ListModelsPaginated`) behind limit/offset: pages asked for in
        order cost one call each. A server without it (the SDK's mock) is listed per
        project with `ListModels` (one call per configured project)."""
        from frogml._proto.qwak.models import models_pb2

        limit = int(limit or settings.JFROG_ML_CATALOG_PAGE_SIZE)
        offset = int(offset or 0)
        if self.projects:  # project as a filter: the server filters, one call per project
            return self._list_models_by_project(limit=limit, offset=offset)
        with _memo_lock:
            known = _cursors.get((self.namespace, limit, offset)) if offset else ""
        if offset and known == "":
            return ModelPage(models=[], total_count=None)  # the page before was the last
        if known is None:
            # Asked out of order (no cursor leads there): the by-project listing answers.
            return self._list_models_by_project(limit=limit, offset=offset)
        cursor = known
        request = models_pb2.ListModelsPaginatedRequest(page_size=limit, cursor=cursor)
        try:
            answer = self._call("models", "ListModelsPaginated", request, what="model list")
        except errors.OperationUnsupported:
            return self._list_models_by_project(limit=limit, offset=offset)
        models = [convert.model(m) for m in answer.models]
        next_cursor = answer.metadata.next_cursor if answer.HasField("metadata") else ""
        with _memo_lock:
            if len(_cursors) > 10_000:
                _cursors.clear()
            _cursors[(self.namespace, limit, offset + len(answer.models))] = next_cursor
        total = offset + len(models) if not next_cursor else None
        return ModelPage(models=models, total_count=total)

    def _list_models_by_project(self, *, limit: int, offset: int) -> ModelPage:
        from frogml._proto.qwak.models import models_pb2

        models: list[Model] = []
        for project_id in self._project_ids():
            answer = self._call(
                "models",
                "ListModels",
                models_pb2.ListModelsRequest(project_id=project_id),
                what="model list",
            )
            models.extend(convert.model(m) for m in answer.models)
        models.sort(key=lambda m: m.id)
        return ModelPage(models=models[offset : offset + limit], total_count=len(models))

    def _get_model_message(self, model_id: str):
        from frogml._proto.qwak.models import models_pb2

        answer = self._call(
            "models", "GetModel", models_pb2.GetModelRequest(model_id=model_id), what="model"
        )
        if not answer.HasField("model") or not answer.model.model_id:
            raise errors.NotFound("JFrog ML has no such model.")
        if answer.model.model_id != model_id:
            raise errors.BadResponse(
                f"JFrog ML answered with model {answer.model.model_id!r} when asked for {model_id!r}."
            )
        if answer.model.uuid:
            with _memo_lock:
                _uuids[(self.namespace, model_id)] = answer.model.uuid
        return answer.model

    def get_model(self, model_id: str) -> Model:
        return convert.model(self._get_model_message(model_id))

    def _model_uuid(self, model_id: str) -> str:
        """Builds and deployments name a model by its uuid; it never changes, so it is
        asked for once per process."""
        with _memo_lock:
            uuid = _uuids.get((self.namespace, model_id))
        if uuid is None:
            uuid = self._get_model_message(model_id).uuid
        return uuid

    def create_model(self, *, name: str, description: str | None = None, **_ignored: Any) -> Model:
        """CreateModel in the first configured project (a model lives in a project)."""
        from frogml._proto.qwak.models import models_pb2

        if not self.projects:
            raise errors.ValidationFailed(
                fields={
                    "name": [
                        "Set JFROG_ML_PROJECTS: on the JFrog ML platform a model is created in a project."
                    ]
                }
            )
        spec = models_pb2.ModelSpec(
            model_named_id=name,
            display_name=name,
            project_id=self.projects[0],
            model_description=description or "",
        )
        answer = self._call(
            "models",
            "CreateModel",
            models_pb2.CreateModelRequest(model_spec=spec),
            what="model",
            read=False,
        )
        return self.get_model(answer.model_id)

    def update_model(
        self, model_id: str, *, name: str, description: str | None = None, **_ignored: Any
    ) -> Model | None:
        """UpdateModel changes the description only; a new name is refused, unsent."""
        from frogml._proto.qwak.models import models_pb2

        current = self.get_model(model_id)
        if name and name != (current.name or current.id):
            raise errors.ValidationFailed(
                fields={"name": ["The JFrog ML platform cannot rename a model."]}
            )
        request = models_pb2.UpdateModelRequest(
            model_id=model_id,
            model_spec_config=models_pb2.ModelSpecConfiguration(
                model_description=description or ""
            ),
        )
        self._call("models", "UpdateModel", request, what="model", read=False)
        return None

    def delete_model(self, model_id: str) -> None:
        from frogml._proto.qwak.models import models_pb2

        current = self.get_model(model_id)
        request = models_pb2.DeleteModelRequest(
            model_id=model_id, project_id=str(current.extra.get("project_id", ""))
        )
        self._call("models", "DeleteModel", request, what="model", read=False)
        with _memo_lock:
            _uuids.pop((self.namespace, model_id), None)

    # --- versions = builds --------------------------------------------------------

    def _builds(self, model_id: str) -> list[Any]:
        from frogml._proto.qwak.build.v1 import build_api_pb2

        uuid = self._model_uuid(model_id)
        answer = self._call(
            "builds",
            "ListBuilds",
            build_api_pb2.ListBuildsRequest(model_uuid=uuid),
            what="build list",
        )
        return list(answer.build)

    def _build(self, build_id: str) -> Any:
        from frogml._proto.qwak.build.v1 import build_api_pb2

        answer = self._call(
            "builds", "GetBuild", build_api_pb2.GetBuildRequest(build_id=build_id), what="build"
        )
        if not answer.HasField("build") or answer.build.buildId != build_id:
            raise errors.NotFound("JFrog ML has no such build.")
        return answer.build

    def list_model_versions(self, model_id: str) -> list[ModelVersion]:
        return [convert.version(b, model_id=model_id) for b in self._builds(model_id)]

    def get_model_version(self, model_id: str, version_id: str) -> ModelVersion:
        build = self._build(version_id)
        if build.model_uuid and build.model_uuid != self._model_uuid(model_id):
            raise errors.NotFound("This build belongs to another model.")
        return convert.version(build, model_id=model_id)

    def create_model_version(self, model_id: str, **_ignored: Any) -> ModelVersion:
        raise self._unsupported(
            "On the JFrog ML platform a version is a build: run `frogml models build`, then it shows here."
        )

    def delete_model_version(self, model_id: str, version_id: str) -> None:
        from frogml._proto.qwak.build.v1 import build_api_pb2

        self.get_model_version(model_id, version_id)
        self._call(
            "builds",
            "DeleteBuild",
            build_api_pb2.DeleteBuildRequest(build_ids=[version_id]),
            what="build",
            read=False,
        )

    def update_model_version(
        self,
        model_id: str,
        version_id: str,
        *,
        status: str | None = None,
        description: str | None = None,
    ):
        """Nothing is sent: the platform has no version status (Pond's ledger holds it)."""
        raise self._unsupported(NO_VERSION_STATUS)

    # --- experiments = builds' tracking ---------------------------------------------

    def list_experiments(self, model_id: str | None = None) -> list[Experiment]:
        """A model's builds; without a model, every listed model's builds (one call per
        model, made by the catalog refresh or the experiments page's cached list)."""
        if model_id:
            return [convert.experiment(b, model_id=model_id) for b in self._builds(model_id)]
        out: list[Experiment] = []
        page = self.list_models(limit=int(settings.JFROG_ML_CATALOG_PAGE_SIZE), offset=0)
        for model in page.models:
            try:
                out.extend(convert.experiment(b, model_id=model.id) for b in self._builds(model.id))
            except errors.NotFound:
                continue
        return out

    def get_experiment(self, experiment_id: str) -> Experiment:
        build = self._build(experiment_id)
        with _memo_lock:
            owners = [
                mid
                for (ns, mid), uuid in _uuids.items()
                if ns == self.namespace and uuid == build.model_uuid
            ]
        model_id = owners[0] if owners else None
        return convert.experiment(build, model_id=model_id)

    def create_experiment(self, **_ignored: Any) -> Experiment:
        raise self._unsupported(
            "On the JFrog ML platform experiments are tracked by builds (log_param / log_metric)."
        )

    def delete_experiment(self, experiment_id: str) -> None:
        raise self._unsupported(
            "An experiment here is a build's tracking: delete the version (the build) instead."
        )

    def update_experiment(self, experiment_id: str, **_ignored: Any) -> Experiment | None:
        raise self._unsupported(
            "A build's tracked parameters and metrics are written by the build itself."
        )

    # --- deployments -----------------------------------------------------------------

    def list_deployments(self) -> list[Deployment]:
        from frogml._proto.com.jfrog.ml.model.deployment.v1 import deployment_service_pb2

        answer = self._call(
            "deployments",
            "ListModelDeployments",
            deployment_service_pb2.ListModelDeploymentsRequest(),
            what="deployment list",
        )
        return [convert.deployment_brief(b) for b in answer.model_deployment_brief]

    def get_deployment(self, deployment_id: str) -> Deployment:
        from frogml._proto.com.jfrog.ml.model.deployment.v1 import deployment_service_pb2

        answer = self._call(
            "deployments",
            "GetModelDeployment",
            deployment_service_pb2.GetModelDeploymentRequest(deployment_id=deployment_id),
            what="deployment",
        )
        info = answer.model_deployment_information
        if (
            not answer.HasField("model_deployment_information")
            or info.model_deployment_metadata.deployment_id != deployment_id
        ):
            raise errors.NotFound("JFrog ML has no such deployment.")
        return convert.deployment_information(info)

    def create_deployment(self, **_ignored: Any) -> Deployment:
        raise self._unsupported(
            "Deploying on the JFrog ML platform needs an environment and its resource spec: use `frogml models deploy`."
        )

    def delete_deployment(self, deployment_id: str) -> None:
        from frogml._proto.com.jfrog.ml.model.deployment.v1 import deployment_service_pb2

        request = deployment_service_pb2.UndeployModelRequest(
            deployment_ids=deployment_service_pb2.DeploymentIds(deployment_id=[deployment_id])
        )
        self._call("deployments", "UndeployModel", request, what="deployment", read=False)

    def update_deployment(self, deployment_id: str, **_ignored: Any) -> Deployment | None:
        raise self._unsupported(
            "Scaling or stopping a deployment is not offered for the JFrog ML platform yet."
        )
