"""The same promises as over REST: stale data with its age when the platform is down,
a clear page when the token is refused, and credentials only over TLS."""

from __future__ import annotations

import datetime
import ipaddress
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.platform.conftest import _require_frogml, point_pond_at

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = ["/", "/models/", "/experiments/", "/deployments/"]
TOKEN = "pond-test-token-not-a-jwt"


def _due_at_once(settings) -> None:
    for name in ("DEPLOYMENTS", "DEPLOYMENT", "MODEL", "VERSIONS", "EXPERIMENTS", "EXPERIMENT"):
        setattr(settings, f"JFROG_ML_TTL_{name}", 0.0)


def test_with_the_platform_stopped_pages_show_the_last_good_data_with_its_age(
    world, client_for, settings
):
    _due_at_once(settings)
    alice = client_for("alice")
    pages = [
        *PAGES,
        f"/models/{world['churn']}/",
        f"/models/{world['churn']}/versions/{world['b1']}/",
    ]
    for url in pages:
        assert alice.get(url).status_code == 200, url
    world["mock"].stop()
    for url in pages:
        deadline = time.monotonic() + 3
        while True:
            resp = alice.get(url)
            assert resp.status_code == 200, (url, resp.status_code)
            body = resp.content.decode()
            if 'data-testid="stale-banner"' in body or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert 'data-testid="stale-banner"' in body, url
        assert 'class="freshness stale"' in body, url
    assert "churn-predictor" in alice.get("/models/").content.decode()


def test_with_the_platform_stopped_and_nothing_cached_a_friendly_503(world, client_for):
    world["mock"].stop()
    resp = client_for("alice").get("/deployments/")
    assert resp.status_code == 503
    assert "JFrog ML is not answering" in resp.content.decode()


# --- a TLS server that records what each call carried ----------------------------------


class Recorder:
    """A server interceptor: remembers each call's metadata; refuses them all on demand."""

    def __init__(self) -> None:
        import grpc

        self.calls: list[tuple[str, dict]] = []
        self.refuse = False

        class Interceptor(grpc.ServerInterceptor):
            def intercept_service(inner, continuation, details):  # noqa: N805
                self.calls.append((details.method, dict(details.invocation_metadata)))
                if self.refuse:

                    def abort(request, context):
                        context.abort(grpc.StatusCode.UNAUTHENTICATED, "invalid token")

                    return grpc.unary_unary_rpc_method_handler(abort)
                return continuation(details)

        self.interceptor = Interceptor()


def _self_signed() -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


class TenantServer:
    """JFrog's REST endpoints the SDK asks for the tenant (a real HTTP server)."""

    def __init__(self, *, account_status: int = 200) -> None:
        self.requests: list[tuple[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                outer.requests.append((self.path, self.headers.get("Authorization", "")))
                if self.path.endswith("/accounts/get-account-status") and account_status == 200:
                    body = json.dumps(
                        {
                            "status": {
                                "account_ready": {
                                    "jfrog_tenant_details": {"tenant_id": "tenant-42"}
                                }
                            }
                        }
                    )
                    self._send(200, body, "application/json")
                elif self.path.endswith("/system/jpd_id"):
                    self._send(200, "jpd-7", "text/plain")
                else:
                    self._send(404, "{}", "application/json")

            def _send(self, code, body, kind):
                data = body.encode()
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tls_world(settings, tmp_path):
    _require_frogml()
    from tests.platform.mock import PlatformMock
    from webui.jfrogml.platform.client import close_channels

    key, cert = _self_signed()
    (tmp_path / "ca.pem").write_bytes(cert)
    recorder = Recorder()
    mock = PlatformMock(tls=(key, cert), interceptors=(recorder.interceptor,))
    tenant = TenantServer()
    project_id = mock.project()
    churn, uuid = mock.model("churn-predictor", project_id=project_id)
    mock.build(uuid, name="build-1", params={"lr": "0.1"}, metrics={"accuracy": 0.8})
    mock.deploy(churn, environment="33333333-3333-4333-8333-333333333333")
    point_pond_at(settings, mock, project_id=project_id, tls=True, url=tenant.url)
    settings.JFROG_ML_GRPC_CA_FILE = str(tmp_path / "ca.pem")
    yield {"mock": mock, "recorder": recorder, "tenant": tenant, "churn": churn}
    mock.stop()
    tenant.close()
    close_channels()


def test_over_tls_every_call_carries_the_bearer_token_and_the_tenant_id(
    tls_world, client_for, caplog
):
    caplog.set_level("DEBUG")
    alice = client_for("alice")
    for url in ["/models/", f"/models/{tls_world['churn']}/", "/deployments/"]:
        assert alice.get(url).status_code == 200, url
    calls = tls_world["recorder"].calls
    assert calls
    for method, metadata in calls:
        assert metadata.get("authorization") == f"Bearer {TOKEN}", method
        assert metadata.get("x-jfrog-tenant-id") == "tenant-42", method
    # The tenant was looked up once, with the token, and kept.
    lookups = tls_world["tenant"].requests
    assert lookups == [
        ("/ml/core/api/v0/administration/accounts/get-account-status", f"Bearer {TOKEN}")
    ]
    assert TOKEN not in caplog.text


def test_over_plaintext_no_credential_is_sent(settings, client_for):
    _require_frogml()
    from tests.platform.mock import PlatformMock
    from webui.jfrogml.platform.client import close_channels

    recorder = Recorder()
    mock = PlatformMock(interceptors=(recorder.interceptor,))
    try:
        project_id = mock.project()
        mock.model("churn-predictor", project_id=project_id)
        point_pond_at(settings, mock, project_id=project_id, tls=False)
        assert "churn-predictor" in client_for("alice").get("/models/").content.decode()
        assert recorder.calls
        for method, metadata in recorder.calls:
            assert "authorization" not in metadata and "x-jfrog-tenant-id" not in metadata, method
    finally:
        mock.stop()
        close_channels()


def test_without_account_status_the_tenant_is_the_jpd_id(settings, tmp_path):
    _require_frogml()
    from webui.jfrogml.platform.auth import PlatformAuth

    tenant = TenantServer(account_status=404)
    try:
        auth = PlatformAuth(base_url=tenant.url, token=TOKEN, namespace=f"test-{time.time()}")
        assert auth.tenant_id() == "jpd-7"
        assert [p for p, _ in tenant.requests] == [
            "/ml/core/api/v0/administration/accounts/get-account-status",
            "/jfconnect/api/v1/system/jpd_id",
        ]
    finally:
        tenant.close()


def test_a_refused_token_is_a_clear_page_never_a_500(tls_world, client_for):
    tls_world["recorder"].refuse = True
    alice = client_for("alice")
    for url in ["/models/", "/deployments/", f"/models/{tls_world['churn']}/"]:
        resp = alice.get(url)
        assert resp.status_code == 503, (url, resp.status_code)
        body = resp.content.decode()
        assert 'data-testid="token-refused"' in body, url
        assert "JFROG_ML_TOKEN" in body
        assert TOKEN not in body


class _Slow:
    """A server interceptor that holds every call while `delay` is set."""

    def __init__(self) -> None:
        import grpc

        self.delay = 0.0
        outer = self

        class Interceptor(grpc.ServerInterceptor):
            def intercept_service(self, continuation, details):
                if outer.delay:
                    time.sleep(outer.delay)
                return continuation(details)

        self.interceptor = Interceptor()


def test_a_slow_platform_is_cut_off_by_the_budget_and_pages_show_the_last_data(
    settings, client_for
):
    _require_frogml()
    from tests.platform.mock import PlatformMock
    from webui.jfrogml.platform.client import close_channels

    slow = _Slow()
    mock = PlatformMock(interceptors=(slow.interceptor,))
    try:
        project_id = mock.project()
        mock.model("churn-predictor", project_id=project_id)
        point_pond_at(settings, mock, project_id=project_id)
        _due_at_once(settings)
        settings.JFROG_ML_BUDGET = 0.5
        alice = client_for("alice")
        assert "churn-predictor" in alice.get("/models/").content.decode()
        slow.delay = 3.0
        deadline = time.monotonic() + 6
        while True:
            started = time.monotonic()
            resp = alice.get("/models/")
            assert time.monotonic() - started < 2.5  # the budget, not the server, decides
            assert resp.status_code == 200
            body = resp.content.decode()
            if 'data-testid="stale-banner"' in body or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert 'data-testid="stale-banner"' in body and "churn-predictor" in body
    finally:
        slow.delay = 0.0
        mock.stop()
        close_channels()


def test_the_breaker_stops_calling_a_stopped_platform(world, settings):
    from webui.jfrogml.client import get_client, upstream_calls
    from webui.jfrogml.errors import Unavailable

    settings.JFROG_ML_BREAKER_THRESHOLD = 3
    settings.JFROG_ML_BREAKER_RESET = 60.0
    world["mock"].stop()
    client = get_client()
    for _ in range(3):
        with pytest.raises(Unavailable):
            client.list_deployments()
    sent = upstream_calls()
    with pytest.raises(Unavailable):
        client.list_deployments()
    assert upstream_calls() == sent  # refused by the open circuit, nothing sent
