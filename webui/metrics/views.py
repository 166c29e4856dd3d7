"""`/metrics`: every process's figures and Pond's state, in the Prometheus text format.

Off (404, as if it did not exist) unless POND_METRICS_TOKEN and/or
POND_METRICS_ALLOW is set. With a token, the scraper sends
`Authorization: Bearer <token>`: none is 401, a wrong one 403. With allowed
addresses, any other client address is 403 (behind a proxy the address is the one
POND_TRUSTED_PROXIES vouch for, as for sign-in limits). A signed-in session grants
nothing here.
"""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from webui.core.throttling import client_ip
from webui.metrics.state import PondStateCollector

# The classic text format, which every Prometheus reads.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    token, allowed = settings.POND_METRICS_TOKEN, settings.POND_METRICS_ALLOW
    if not token and not allowed:
        raise Http404("Metrics are off: set POND_METRICS_TOKEN or POND_METRICS_ALLOW.")
    if allowed and not _allowed(client_ip(request), allowed):
        return _refused(403, "Your address may not read the metrics (POND_METRICS_ALLOW).")
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            response = _refused(401, "Send the metrics token: Authorization: Bearer <POND_METRICS_TOKEN>.")
            response["WWW-Authenticate"] = 'Bearer realm="pond-metrics"'
            return response
        if not hmac.compare_digest(given.strip().encode(), token.encode()):
            return _refused(403, "Wrong metrics token.")
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=settings.PROMETHEUS_MULTIPROC_DIR)
    registry.register(PondStateCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE)


def _allowed(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _refused(status: int, message: str) -> HttpResponse:
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")
