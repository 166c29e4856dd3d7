"""JFrog's own fake platform (`frogml_services_mock`, shipped in the `frogml` wheel),
started on a free port and seeded with its own helpers.

Nothing here re-implements a platform service. The one addition: the SDK's
ModelDeploymentService mock reports every deployment as `successful`, so
`set_deployment_status()` makes its list report the status a real platform would
(in_progress, failed, failing, …) through the mock's own brief-building method.
"""

from __future__ import annotations

import socket
import uuid
from concurrent import futures
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PlatformMock:
    """The SDK's mock servicers on a grpc server of our own (plaintext or TLS)."""

    def __init__(
        self,
        *,
        tls: tuple[bytes, bytes] | None = None,
        interceptors: tuple = (),
        models_servicer: Any = None,
    ) -> None:
        """`models_servicer`: a ModelsManagementService servicer to answer in place of
        the mock's (registered first, so it wins), e.g. one that also pages."""
        import grpc
        from frogml._proto.qwak.models.models_pb2_grpc import (
            add_ModelsManagementServiceServicer_to_server,
        )
        from frogml_services_mock.services_mock import attach_servicers

        self.port = free_port()
        self.server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=8), interceptors=interceptors
        )
        if models_servicer is not None:
            add_ModelsManagementServiceServicer_to_server(models_servicer, self.server)
        self.mocks = attach_servicers(self.port, self.server)
        self.models_service = models_servicer or self.mocks.model_management_service_mock
        if tls is None:
            self.server.add_insecure_port(f"127.0.0.1:{self.port}")
        else:
            key, cert = tls
            self.server.add_secure_port(
                f"127.0.0.1:{self.port}", grpc.ssl_server_credentials([(key, cert)])
            )
        self._statuses: dict[str, str] = {}
        deployments = self.mocks.model_deployment_manager_mock
        original = type(deployments)._deployment_to_brief
        deployments._deployment_to_brief = lambda info: self._with_status(original(info))
        self.server.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.stop(0).wait(5)

    # --- seeding, through the mock's own servicers ---------------------------------

    def project(self, name: str = "pond-tests") -> str:
        from frogml._proto.qwak.projects.projects_pb2 import CreateProjectRequest

        answer = self.mocks.project_manager_service_mock.CreateProject(
            CreateProjectRequest(project_name=name, project_description="Pond's tests"), None
        )
        return answer.project.project_id

    def model(self, name: str, *, project_id: str, description: str = "") -> tuple[str, str]:
        """(model id, uuid) of a new model, created as `frogml` would."""
        from frogml._proto.qwak.models.models_pb2 import (
            CreateModelRequest,
            GetModelRequest,
            ModelSpec,
        )

        service = self.models_service
        spec = ModelSpec(
            model_named_id=name,
            display_name=name,
            project_id=project_id,
            model_description=description,
        )
        model_id = service.CreateModel(CreateModelRequest(model_spec=spec), None).model_id
        model = service.GetModel(GetModelRequest(model_id=model_id), None).model
        return model_id, model.uuid

    def build(
        self,
        model_uuid: str,
        *,
        name: str,
        params: dict[str, str],
        metrics: dict[str, float],
        status: str = "SUCCESSFUL",
    ) -> str:
        """A build with tracked params and metrics (the mock's own `given_build`)."""
        from frogml._proto.qwak.build.v1.build_pb2 import Audit, Build, BuildStatus
        from google.protobuf.timestamp_pb2 import Timestamp

        now = Timestamp()
        now.GetCurrentTime()
        build_id = str(uuid.uuid4())
        self.mocks.build_orchestrator_build_api.given_build(
            Build(
                buildId=build_id,
                build_name=name,
                model_uuid=model_uuid,
                build_status=BuildStatus.Value(status),
                params=params,
                metrics=metrics,
                audit=Audit(created_by="ci-bot", created_at=now, last_modified_at=now),
                tags=["pond-test"],
            )
        )
        return build_id

    def deploy(self, model_id: str, *, environment: str | None = None, build_id: str = "") -> str:
        """Deploy through ModelDeploymentService (v1): the id the mock gave it."""
        from frogml._proto.com.jfrog.ml.model.deployment.v1.deployment_pb2 import (
            Deployment,
            MultipleEnvironmentDeployment,
        )
        from frogml._proto.com.jfrog.ml.model.deployment.v1.deployment_service_pb2 import (
            DeployModelRequest,
        )
        from frogml._proto.com.jfrog.ml.model.deployment.v1.model_artifact_identifier_pb2 import (
            CustomModelArtifactIdentifier,
            ModelArtifactIdentifier,
        )

        service = self.mocks.model_deployment_manager_mock
        before = {str(d.deployment_id) for d in service.get_all_deployments()}
        env = environment or str(uuid.uuid4())
        identifier = ModelArtifactIdentifier(
            custom_model_artifact_id=CustomModelArtifactIdentifier(
                model_id=model_id, model_group_id="pond", build_id=build_id
            )
        )
        request = DeployModelRequest(
            multiple_environment_deployment=MultipleEnvironmentDeployment(
                model_artifact_identifier=identifier, deployments={env: Deployment()}
            )
        )
        service.DeployModel(request, None)
        (new,) = {str(d.deployment_id) for d in service.get_all_deployments()} - before
        return new

    def set_deployment_status(self, deployment_id: str, word: str) -> None:
        """What the platform would report for it next: successful, in_progress, failed, failing, …"""
        self._statuses[deployment_id] = word

    def _with_status(self, brief: Any) -> Any:
        from frogml._proto.com.jfrog.ml.model.deployment.v1 import deployment_pb2

        word = self._statuses.get(brief.deployment_id)
        if word:
            cls = getattr(
                deployment_pb2,
                "ModelDeploymentStatus" + "".join(p.title() for p in word.split("_")),
            )
            brief.status.CopyFrom(
                deployment_pb2.ModelDeploymentStatus(**{f"model_deployment_status_{word}": cls()})
            )
        return brief
