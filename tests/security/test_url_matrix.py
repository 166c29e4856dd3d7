"""Every URL x every role: allowed or refused as designed.

The URLs are enumerated from the URLconf, so a new URL without a rule here fails
`test_every_url_in_the_urlconf_has_an_access_rule`. Each rule gives a concrete URL
(with real ids from the embedded registry) and the expected outcome of a GET per
role; the table of outcomes is printed and written to tests/artifacts/.

Outcomes: a status code, "login" (sent to Pond's login form), "admin-login" (sent to
the admin's login form). POST-only views answer a GET with 405 to whoever passed
their rights check (writes themselves are in test_csrf_and_methods.py).

The embedded registry takes credentials, not sessions: its reads and every write
operation are tried per role with a bearer token and with HTTP basic (the one rule of
registry.auth), and printed as a second table below the first.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest
import requests
from django.conf import settings
from django.contrib.auth.models import User
from django.urls import URLPattern, URLResolver, get_resolver

from registry.auth import token_create
from tests.security.conftest import ARTIFACTS, MATRIX_FILE, PASSWORD, ROLE_USERS, snapshot

ROLES = ("anonymous", "viewer", "engineer", "reviewer", "admin", "share")
SIGNED_IN = ("viewer", "engineer", "reviewer", "admin")


def _expect(default: str, **per_role: str) -> dict[str, str]:
    return {role: per_role.get(role, default) for role in ROLES}


def page() -> dict[str, str]:
    """A page for signed-in users only; a share link grants nothing outside the status pages."""
    return _expect("200", anonymous="login", share="login")


def needs(roles: tuple[str, ...], ok: str = "200") -> dict[str, str]:
    return {
        role: ("login" if role in ("anonymous", "share") else ok if role in roles else "403")
        for role in ROLES
    }


WRITERS = ("engineer", "reviewer", "admin")  # change_registry, deploy, request_promotion
DECIDERS = ("reviewer", "admin")  # decide_promotion
PUBLIC = _expect("200")
STATUS_PAGE = _expect("200", anonymous="login")
STATUS_MACHINE = _expect("200", anonymous="403")
API = _expect("401")  # no session auth on the registry: a logged-in browser gets nothing
# Pond's own API: a token or a signed-in session (tokens are tried in tests/api/); a share link grants nothing.
POND_API = _expect("200", anonymous="401", share="401")
POND_API_POST = _expect("405", anonymous="401", share="401")
ADMIN_SITE = _expect("admin-login", admin="200")


def rules(w: dict[str, str]) -> dict[str, tuple[str, dict[str, str]]]:
    """{URLconf route: (concrete URL, {role: expected GET outcome})}."""
    m, v, e, d, r = w["m"], w["v"], w["e"], w["d"], w["review"]
    return {
        "favicon.ico": ("/favicon.ico", _expect("301")),  # to the SVG mark, for everyone
        "healthz": ("/healthz", PUBLIC),
        "readyz": ("/readyz", PUBLIC),
        # Prometheus: off unless a token or addresses are set (tests/metrics turns it on;
        # there a session grants nothing: tests/metrics/test_access.py)
        "metrics": ("/metrics", _expect("404")),
        # accounts
        "accounts/login/": ("/accounts/login/", PUBLIC),
        "accounts/logout/": ("/accounts/logout/", _expect("405")),  # POST only (Django 5)
        "accounts/password_change/": ("/accounts/password_change/", page()),
        "accounts/password_change/done/": ("/accounts/password_change/done/", page()),
        # single sign-on: not configured here (tests/sso runs it against a real provider)
        "accounts/oidc/start/": ("/accounts/oidc/start/", _expect("404")),
        "accounts/oidc/callback/": ("/accounts/oidc/callback/", _expect("404")),
        # personal API tokens, and Pond's own API
        "accounts/tokens/": ("/accounts/tokens/", page()),
        "accounts/tokens/<int:token_id>/revoke": (f"/accounts/tokens/{w['api_token']}/revoke", needs(SIGNED_IN, ok="405")),
        "api/v1/me": ("/api/v1/me", POND_API),
        "api/v1/reviews": ("/api/v1/reviews", POND_API),
        "api/v1/reviews/<int:pk>": (f"/api/v1/reviews/{r}", POND_API),
        "api/v1/reviews/<int:pk>/decision": (f"/api/v1/reviews/{r}/decision", POND_API_POST),
        "api/v1/reviews/<int:pk>/withdrawal": (f"/api/v1/reviews/{r}/withdrawal", POND_API_POST),
        "api/v1/events": ("/api/v1/events?model=a", POND_API),
        "api/v1/models/<upstream_id:model_id>/production": (f"/api/v1/models/{m}/production", POND_API),
        "api/v1/deployments": ("/api/v1/deployments", POND_API),
        "api/v1/incidents": ("/api/v1/incidents", POND_API),
        "api/schema/": ("/api/schema/", PUBLIC),  # describes, holds no data
        "api/docs/": ("/api/docs/", PUBLIC),
        "api/^.*$": ("/api/v2/anything", _expect("404")),  # a JSON 404 for anyone
        # status page (not public by default: logged in, or a share link)
        "status/": ("/status/", STATUS_PAGE),
        "status/live/": ("/status/live/", STATUS_PAGE),
        # an incident: read like the status page (a share link too; before the rule below
        # that makes the anonymous client a share-link holder); acknowledged and
        # updated (POST only) by whoever may deploy
        "status/incidents/<int:incident_id>/": (f"/status/incidents/{w['incident']}/", STATUS_PAGE),
        "status/incidents/<int:incident_id>/acknowledge/": (
            f"/status/incidents/{w['incident']}/acknowledge/",
            needs(WRITERS, ok="405"),
        ),
        "status/incidents/<int:incident_id>/updates/": (
            f"/status/incidents/{w['incident']}/updates/",
            needs(WRITERS, ok="405"),
        ),
        "status.json": ("/status.json", STATUS_MACHINE),
        "status/badge/<upstream_id:deployment_id>.svg": (f"/status/badge/{d}.svg", STATUS_MACHINE),
        "status/bar/<upstream_id:deployment_id>.svg": (f"/status/bar/{d}.svg", STATUS_MACHINE),
        "status/feed.atom": ("/status/feed.atom", STATUS_MACHINE),
        "status/badge.svg": ("/status/badge.svg", STATUS_MACHINE),
        "status/badge/model/<upstream_id:model_id>.svg": (f"/status/badge/model/{m}.svg", STATUS_MACHINE),
        "status/s/<str:share_token>/badge.svg": (f"/status/s/{w['token']}/badge.svg", _expect("200")),
        "status/s/<str:share_token>/badge/model/<upstream_id:model_id>.svg": (
            f"/status/s/{w['token']}/badge/model/{m}.svg", _expect("200"),
        ),
        "status/s/<str:token>/": (f"/status/s/{w['token']}/", _expect("302")),
        # the read-only documents with a valid share token in the path: open to whoever holds it
        "status/s/<str:share_token>/status.json": (f"/status/s/{w['token']}/status.json", _expect("200")),
        "status/s/<str:share_token>/feed.atom": (f"/status/s/{w['token']}/feed.atom", _expect("200")),
        "status/s/<str:share_token>/badge/<upstream_id:deployment_id>.svg": (
            f"/status/s/{w['token']}/badge/{d}.svg", _expect("200"),
        ),
        "status/s/<str:share_token>/bar/<upstream_id:deployment_id>.svg": (
            f"/status/s/{w['token']}/bar/{d}.svg", _expect("200"),
        ),
        # subscriptions: whoever may deploy (a share link grants the status pages only)
        "status/subscriptions/": ("/status/subscriptions/", needs(WRITERS)),
        "status/subscriptions/<int:subscription_id>/disable/": (
            f"/status/subscriptions/{w['subscription']}/disable/",
            needs(WRITERS),  # a GET is the confirmation page; disabling is a POST
        ),
        # maintenance windows: scheduled and cancelled by whoever may deploy; shown on the page to all
        "status/maintenance/": ("/status/maintenance/", needs(WRITERS)),
        "status/maintenance/<int:window_id>/cancel/": (
            f"/status/maintenance/{w['maintenance']}/cancel/",
            needs(WRITERS),  # a GET is the confirmation page; cancelling is a POST
        ),
        "status/share-links/": ("/status/share-links/", needs(("admin",))),
        "status/share-links/<int:link_id>/revoke/": (
            f"/status/share-links/{w['link']}/revoke/",
            needs(("admin",)),  # a GET is the confirmation page; the revoke is a POST
        ),
        # reviews and audit
        "reviews/": ("/reviews/", page()),
        "reviews/<int:pk>/": (f"/reviews/{r}/", page()),
        "reviews/<int:pk>/decide": (f"/reviews/{r}/decide", needs(DECIDERS, ok="405")),
        "reviews/<int:pk>/cancel": (f"/reviews/{r}/cancel", needs(SIGNED_IN, ok="405")),
        "reviews/new/<upstream_id:model_id>/<upstream_id:version_id>/": (f"/reviews/new/{m}/{v}/", needs(WRITERS)),
        "reviews/promote/<upstream_id:model_id>/<upstream_id:version_id>": (
            f"/reviews/promote/{m}/{v}",
            needs(DECIDERS, ok="405"),
        ),
        "audit/": ("/audit/", page()),
        "audit/export.csv": ("/audit/export.csv", page()),
        "audit/production/<upstream_id:model_id>/": (f"/audit/production/{m}/", page()),
        # insights
        "insights/production/": ("/insights/production/", page()),
        "insights/hygiene/": ("/insights/hygiene/", page()),
        "insights/resources/": ("/insights/resources/", page()),
        # dashboard
        "": ("/", page()),
        "models/": ("/models/", page()),
        "models/new/": ("/models/new/", needs(WRITERS)),
        "models/<upstream_id:model_id>/": (f"/models/{m}/", page()),
        "models/<upstream_id:model_id>/edit/": (f"/models/{m}/edit/", needs(WRITERS)),
        "models/<upstream_id:model_id>/delete/": (f"/models/{m}/delete/", needs(WRITERS)),
        "models/<upstream_id:model_id>/compare/": (f"/models/{m}/compare/?v={v}&v={w['v2']}", page()),
        "models/<upstream_id:model_id>/versions/new/": (f"/models/{m}/versions/new/", needs(WRITERS)),
        "models/<upstream_id:model_id>/versions/<upstream_id:version_id>/": (f"/models/{m}/versions/{v}/", page()),
        "models/<upstream_id:model_id>/versions/<upstream_id:version_id>/delete/": (
            f"/models/{m}/versions/{v}/delete/",
            needs(WRITERS),
        ),
        "experiments/": ("/experiments/", page()),
        "experiments/new/": ("/experiments/new/", needs(WRITERS)),
        "experiments/compare/": (f"/experiments/compare/?e={e}&e={w['e2']}", page()),
        "experiments/<upstream_id:experiment_id>/": (f"/experiments/{e}/", page()),
        "experiments/<upstream_id:experiment_id>/edit/": (f"/experiments/{e}/edit/", needs(WRITERS)),
        "experiments/<upstream_id:experiment_id>/delete/": (f"/experiments/{e}/delete/", needs(WRITERS)),
        "deployments/": ("/deployments/", page()),
        "deployments/new/": (f"/deployments/new/?model={m}", needs(WRITERS)),
        "deployments/status.json": ("/deployments/status.json", page()),
        "deployments/<upstream_id:deployment_id>/": (f"/deployments/{d}/", page()),
        "deployments/<upstream_id:deployment_id>/edit/": (f"/deployments/{d}/edit/", needs(WRITERS)),
        "deployments/<upstream_id:deployment_id>/delete/": (f"/deployments/{d}/delete/", needs(WRITERS)),
        # the embedded registry: credentials only, never a session or a share link
        "ml/api/v1/models": ("/ml/api/v1/models", API),
        "ml/api/v1/models/<str:modelId>": (f"/ml/api/v1/models/{m}", API),
        "ml/api/v1/models/<str:modelId>/versions": (f"/ml/api/v1/models/{m}/versions", API),
        "ml/api/v1/models/<str:modelId>/versions/<str:versionId>": (f"/ml/api/v1/models/{m}/versions/{v}", API),
        "ml/api/v1/experiments": ("/ml/api/v1/experiments", API),
        "ml/api/v1/experiments/<str:experimentId>": (f"/ml/api/v1/experiments/{e}", API),
        "ml/api/v1/deployments": ("/ml/api/v1/deployments", API),
        "ml/api/v1/deployments/<str:deploymentId>": (f"/ml/api/v1/deployments/{d}", API),
        "ml/api/schema/": ("/ml/api/schema/", PUBLIC),  # describes, holds no data
        "ml/api/docs/": ("/ml/api/docs/", PUBLIC),
        "ml/api/^.*$": ("/ml/api/v2/anything", API),
    }


# The Django admin is one family: its own login, staff only. Representative URLs.
ADMIN_PREFIX = "admin/"
ADMIN_URLS = ["/admin/", "/admin/auth/user/", "/admin/auth/group/", "/admin/axes/accessattempt/"]
ADMIN_PUBLIC = ["/admin/login/"]


def urlconf_routes() -> Iterator[str]:
    def walk(patterns, prefix: str = "") -> Iterator[str]:
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern)

    yield from walk(get_resolver().url_patterns)


PLACEHOLDER_WORLD = {k: "x" for k in ("m", "v", "v2", "e", "e2", "d", "review", "token", "link", "api_token", "subscription", "maintenance", "incident")}


def test_every_url_in_the_urlconf_has_an_access_rule():
    known = rules(PLACEHOLDER_WORLD)
    missing = [r for r in urlconf_routes() if r not in known and not r.startswith(ADMIN_PREFIX)]
    assert not missing, f"URLs without an access rule in {__name__}: {missing}"
    stale = set(known) - set(urlconf_routes())
    assert not stale, f"rules for URLs that no longer exist: {sorted(stale)}"


def _header_problems(url: str, role: str, resp) -> list[str]:
    """Every answer, page or not (SVG, Atom, JSON, CSV, text, redirects, errors), carries a
    policy that fits it and nosniff: a page the HTML policy, anything else one that runs nothing."""
    policy = resp.get("Content-Security-Policy", "")
    html = resp.get("Content-Type", "").startswith("text/html")
    problems = []
    if resp.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"GET {url} as {role}: no X-Content-Type-Options: nosniff")
    if not policy:
        problems.append(f"GET {url} as {role}: no Content-Security-Policy")
    elif not html and ("script-src" in policy or "default-src 'none'" not in policy):
        problems.append(f"GET {url} as {role}: a {resp.get('Content-Type')} answer with policy {policy!r}")
    return problems


def outcome(resp) -> str:
    if resp.status_code in (301, 302, 303):
        location = resp["Location"]
        if location.startswith("/accounts/login/"):
            return "login"
        if location.startswith("/admin/login/"):
            return "admin-login"
    return str(resp.status_code)


@pytest.mark.django_db(transaction=True)
def test_every_url_answers_every_role_as_designed(client_as, world, registry, capsys):
    clients = {role: client_as(role) for role in ROLES}
    before = snapshot(registry)
    table = rules(world)
    rows = [(url, expected) for url, expected in table.values()]
    # The admin's own login form; a staff user already logged in is sent on to the admin.
    rows += [(url, ADMIN_SITE) for url in ADMIN_URLS] + [(url, _expect("200", admin="302")) for url in ADMIN_PUBLIC]
    got: dict[str, dict[str, str]] = {}
    wrong = []
    for url, expected in rows:
        got[url] = {}
        for role in ROLES:
            resp = clients[role].get(url)
            actual = outcome(resp)
            got[url][role] = actual if actual == expected[role] else f"{actual}!={expected[role]}"
            if actual != expected[role]:
                wrong.append(f"GET {url} as {role}: {actual}, expected {expected[role]}")
            wrong += _header_problems(url, role, resp)
    # Forms and POST-only views answered GETs from every role: nothing changed.
    unchanged = snapshot(registry) == before
    # Then the registry's writes, which do change things (each column on data of its own).
    api_got, api_wrong = registry_outcomes(registry)
    text = _table(got) + "\n" + _api_table(api_got)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / MATRIX_FILE).write_text(text)
    with capsys.disabled():
        print("\n" + text)
    assert not wrong + api_wrong, "\n".join(wrong + api_wrong)
    assert unchanged


def _table(got: dict[str, dict[str, str]]) -> str:
    width = max(len(url) for url in got) + 2
    lines = [
        "GET outcome per role ('login' = sent to the login form; 'a!=b' = got a, expected b)",
        f"{'URL':<{width}}" + "".join(f"{r:>12}" for r in ROLES),
    ]
    lines += [f"{url:<{width}}" + "".join(f"{cells[r]:>12}" for r in ROLES) for url, cells in got.items()]
    return "\n".join(lines) + "\n"


# --- the registry: reads and every write, per role and per scheme -------------------------

# Who calls: no credentials, a user with no role, each role by token and by basic auth, and
# Pond's own service principal (settings.REGISTRY_SERVICE_TOKEN).
API_CALLERS = (
    "anonymous",
    *(f"{role}:{scheme}" for role in ("norole", *ROLE_USERS) for scheme in ("token", "basic")),
    "service",
)
NO_ROLE_USER = "nora"


class ApiOp(NamedTuple):
    """One registry call; `path` and `body` are filled from a caller's own scratch data."""

    method: str
    path: str
    body: dict[str, Any] | None
    ok: int
    # Reaches staging or production, or leaves production: only the service principal.
    reviewed: bool = False
    note: str = ""


API_OPS = (
    ApiOp("GET", "/v1/models", None, 200),
    ApiOp("GET", "/v1/models/{m}/versions/{v}", None, 200),
    ApiOp("POST", "/v1/models", {"name": "new-{caller}"}, 201),
    ApiOp("PUT", "/v1/models/{m}", {"name": "w-{caller}", "description": "edited"}, 200),
    ApiOp("DELETE", "/v1/models/{m_empty}", None, 204),
    ApiOp("DELETE", "/v1/models/{m_prod}", None, 204, reviewed=True, note="a version in production"),
    ApiOp("POST", "/v1/models/{m}/versions", {"version": "3.0"}, 201),
    ApiOp("POST", "/v1/models/{m}/versions", {"version": "3.1", "status": "staging"}, 201, reviewed=True),
    ApiOp("POST", "/v1/models/{m}/versions", {"version": "3.2", "status": "production"}, 201, reviewed=True),
    ApiOp("PATCH", "/v1/models/{m}/versions/{v}", {"description": "edited"}, 200),
    ApiOp("PATCH", "/v1/models/{m}/versions/{v}", {"status": "archived"}, 200),
    ApiOp("PATCH", "/v1/models/{m}/versions/{v}", {"status": "staging"}, 200, reviewed=True),
    ApiOp("PATCH", "/v1/models/{m}/versions/{v}", {"status": "production"}, 200, reviewed=True),
    ApiOp("PATCH", "/v1/models/{m}/versions/{p}", {"status": "archived"}, 200, reviewed=True, note="in production"),
    ApiOp("DELETE", "/v1/models/{m}/versions/{p2}", None, 204, reviewed=True, note="in production"),
    ApiOp("DELETE", "/v1/models/{m}/versions/{spare}", None, 204),
    ApiOp("POST", "/v1/experiments", {"name": "run", "model_id": "{m}"}, 201),
    ApiOp("PATCH", "/v1/experiments/{e}", {"status": "completed"}, 200),
    ApiOp("DELETE", "/v1/experiments/{e}", None, 204),
    ApiOp("POST", "/v1/deployments", {"name": "d2", "model_id": "{m}", "model_version_id": "{spare2}"}, 201),
    ApiOp("PATCH", "/v1/deployments/{d}", {"replicas": 2}, 200),
    ApiOp("DELETE", "/v1/deployments/{d}", None, 204),
)


def api_expect(caller: str, op: ApiOp) -> str:
    role = caller.split(":", 1)[0]
    if role == "anonymous":
        return "401"
    if role == "service":
        return str(op.ok)
    if role == "norole":
        return "403"
    if op.method == "GET":
        return str(op.ok)
    if role == "viewer" or op.reviewed:
        return "403"
    return str(op.ok)


def _api_label(op: ApiOp) -> str:
    label = f"{op.method} /ml/api{op.path}"
    if op.body and "status" in op.body:
        label += f" status={op.body['status']}"
    if op.note:
        label += f" ({op.note})"
    return label


def _scratch(registry, caller: str) -> dict[str, str]:
    """A caller's own data, made by the service principal, so that every write has a target."""
    m = registry.model(f"w-{caller}")["id"]
    versions = {key: registry.version(m, label)["id"] for key, label in
                (("v", "1.0"), ("spare", "1.1"), ("spare2", "1.2"), ("p", "2.0"), ("p2", "2.1"))}  # fmt: skip
    for key in ("p", "p2"):
        registry.set_version_status(m, versions[key], "production")
    m_prod = registry.model(f"p-{caller}")["id"]
    registry.set_version_status(m_prod, registry.version(m_prod, "1.0")["id"], "production")
    return {
        "caller": caller, "m": m, **versions, "m_prod": m_prod,
        "m_empty": registry.model(f"e-{caller}")["id"],
        "e": registry.experiment(f"x-{caller}", model_id=m)["id"],
        "d": registry.deployment(m, versions["v"], name=f"d-{caller}")["id"],
    }  # fmt: skip


def _fill(value: Any, data: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**data)
    if isinstance(value, dict):
        return {key: _fill(item, data) for key, item in value.items()}
    return value


def _authorization(caller: str) -> str | None:
    if caller == "anonymous":
        return None
    if caller == "service":
        return f"Bearer {settings.REGISTRY_SERVICE_TOKEN}"
    role, scheme = caller.split(":")
    username = NO_ROLE_USER if role == "norole" else ROLE_USERS[role]
    if scheme == "token":
        return f"Bearer {token_create(username=username)[1]}"
    return "Basic " + base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()


def registry_outcomes(registry) -> tuple[dict[str, dict[str, str]], list[str]]:
    """{row label: {caller: outcome}} and the outcomes that are not as designed."""
    User.objects.create_user(NO_ROLE_USER, f"{NO_ROLE_USER}@example.com", PASSWORD)
    got: dict[str, dict[str, str]] = {_api_label(op): {} for op in API_OPS}
    wrong = []
    for caller in API_CALLERS:
        data = _scratch(registry, caller.replace(":", "-"))
        session = requests.Session()
        authorization = _authorization(caller)
        if authorization:
            session.headers["Authorization"] = authorization
        for op in API_OPS:
            url = registry.base_url + _fill(op.path, data)
            actual = str(session.request(op.method, url, json=_fill(op.body, data), timeout=10).status_code)
            expected = api_expect(caller, op)
            got[_api_label(op)][caller] = actual if actual == expected else f"{actual}!={expected}"
            if actual != expected:
                wrong.append(f"{_api_label(op)} as {caller}: {actual}, expected {expected}")
        session.close()
    return got, wrong


def _api_table(got: dict[str, dict[str, str]]) -> str:
    width = max(len(label) for label in got) + 2
    cell = max(len(caller) for caller in API_CALLERS) + 2
    lines = [
        "Registry API per caller: a role's bearer token or HTTP basic, or Pond's service principal ('a!=b' = got a, expected b)",
        f"{'call':<{width}}" + "".join(f"{c:>{cell}}" for c in API_CALLERS),
    ]
    lines += [f"{label:<{width}}" + "".join(f"{cells[c]:>{cell}}" for c in API_CALLERS) for label, cells in got.items()]
    return "\n".join(lines) + "\n"


# --- Pond's API with personal tokens: every route, a token of each role --------------------------


@pytest.mark.django_db(transaction=True)
def test_every_pond_api_route_answers_each_roles_token_as_designed(role_users, world, registry, capsys):
    """The rules above were tried with sessions; a pipeline sends a token. A token of
    each role gets what that role's session gets; a revoked token, no token or a
    made-up one get 401 (never a page or a redirect)."""
    from django.test import Client

    from webui.api.tokens import token_create, token_revoke

    tokens = {role: token_create(user=role_users[role], name=f"matrix {role}")[1] for role in SIGNED_IN}
    revoked_record, revoked = token_create(user=role_users["admin"], name="matrix revoked")
    token_revoke(user=role_users["admin"], token_id=revoked_record.pk)
    callers = {**tokens, "revoked": revoked, "made-up": "pond_" + "x" * 43, "anonymous": None}
    api_routes = {route: rule for route, rule in rules(world).items() if route.startswith("api/v1/")}
    assert len(api_routes) == 9
    wrong, lines = [], []
    for url, expected in api_routes.values():
        cells = []
        for caller, token in callers.items():
            headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
            got = str(Client().get(url, **headers).status_code)
            want = expected[caller] if caller in SIGNED_IN else "401"
            cells.append(got if got == want else f"{got}!={want}")
            if got != want:
                wrong.append(f"GET {url} with {caller}'s token: {got}, expected {want}")
        lines.append(f"{url:<50}" + "".join(f"{c:>12}" for c in cells))
    with capsys.disabled():
        print("\nPond's API by token\n" + f"{'URL':<50}" + "".join(f"{c:>12}" for c in callers) + "\n" + "\n".join(lines))
    assert not wrong, "\n".join(wrong)
