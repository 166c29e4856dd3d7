"""The mixed browsing workload: a team using Pond at once, nearly every page built afresh.

16 simulated people (by default), each logged in with a role of their own, ask for
pages with no think time (a saturating load) in the proportions a team would: model
lists with varied searches, filters, sorts and pages; random models, versions and
comparisons; experiments and deployments; the overview; insights; and 5% form writes
(an engineer saving a model's description through Pond's edit form). Requests are
drawn in advance from the seeded data (a fixed seed, so two runs ask for the same
pages) and wrk replays them, each with its person's session cookie.

Overall latency and throughput come from wrk's histogram; per page kind they come
from Pond's own access log (gunicorn's request time), so the client is never timed
by Python.
"""

from __future__ import annotations

import json
import random
import re
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import requests

from bench import load

DEMO_PASSWORD = "pond-demo"  # seed_demo's documented demo password
# Who the 16 people are: mostly engineers, as on a team.
PEOPLE = ("engineer",) * 7 + ("reviewer",) * 4 + ("viewer",) * 4 + ("admin",)
# (kind, weight in %): what a team asks for. Writes only by people who may write.
MIX = (
    ("models_list", 24),
    ("model", 14),
    ("version", 10),
    ("compare", 5),
    ("overview", 10),
    ("experiments", 8),
    ("experiment", 3),
    ("deployments", 6),
    ("deployment", 3),
    ("insights", 12),
    ("write", 5),
)
SORTS = ("name", "-name", "updated", "-updated", "versions", "-versions", "framework")
STATUSES = ("draft", "staging", "production", "archived")
TARGETS = {"p50_ms": 50.0, "p95_ms": 150.0, "p99_ms": 300.0, "rps_of_floor": 1 / 25}


@dataclass(frozen=True)
class Request:
    kind: str
    method: str
    path: str
    person: int
    body: str = ""


def _api(upstream: str, token: str, path: str, **params: Any) -> Any:
    try:
        resp = requests.get(f"{upstream}{path}", params=params, timeout=60,
                            headers={"Authorization": f"Bearer {token}"} if token else {})
        return resp.json() if resp.ok else None
    except (requests.RequestException, ValueError):
        return None


def sample_data(upstream: str, token: str, rng: random.Random, models: int = 60) -> dict[str, Any]:
    """Real ids to ask for, spread over the whole registry: models (with their versions),
    experiments and deployments, and the words people search for."""
    total = int((_api(upstream, token, "/v1/models", limit=1) or {}).get("total_count") or 0)
    picked: list[dict[str, Any]] = []
    for offset in sorted(rng.sample(range(total), min(models, total))) if total else []:
        page = (_api(upstream, token, "/v1/models", limit=1, offset=offset) or {}).get("models") or []
        picked += page
    for model in picked:
        versions = (_api(upstream, token, f"/v1/models/{model['id']}/versions") or {}).get("versions") or []
        model["_versions"] = [v["id"] for v in versions if v.get("id")]
    experiments = (_api(upstream, token, "/v1/experiments", limit=500) or {}).get("experiments") or []
    deployments = (_api(upstream, token, "/v1/deployments") or {}).get("deployments") or []
    words = sorted({w for m in picked for w in re.split(r"[-_ ]", str(m.get("name", ""))) if len(w) >= 3})
    return {
        "models": picked,
        "experiments": [e["id"] for e in experiments if e.get("id")],
        "deployments": [d["id"] for d in deployments if d.get("id")],
        "words": words or ["model"],
        "frameworks": sorted({m.get("framework") for m in picked if m.get("framework")}),
        "tags": sorted({t for m in picked for t in (m.get("tags") or [])}),
    }


def log_in(base: str, username: str) -> tuple[str, str]:
    """(session id, CSRF token) of a fresh session of `username`, through the login form."""
    with requests.Session() as client:
        form = client.get(f"{base}/accounts/login/", timeout=60)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        if not token:
            raise RuntimeError("no login form")
        resp = client.post(f"{base}/accounts/login/", timeout=60, allow_redirects=False,
                           data={"username": username, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token.group(1)},
                           headers={"Referer": f"{base}/accounts/login/"})  # fmt: skip
        if resp.status_code != 302 or "sessionid" not in client.cookies:
            raise RuntimeError(f"{username} could not log in ({resp.status_code})")
        return client.cookies["sessionid"], client.cookies["csrftoken"]


def _models_list(rng: random.Random, data: dict[str, Any]) -> str:
    params: dict[str, Any] = {}
    roll = rng.random()
    if roll < 0.45:
        word = rng.choice(data["words"])
        params["q"] = word[: rng.randint(3, len(word))]
    elif roll < 0.6 and data["frameworks"]:
        params["framework"] = rng.choice(data["frameworks"])
    elif roll < 0.72 and data["tags"]:
        params["tag"] = rng.choice(data["tags"])
    elif roll < 0.82:
        params["has_status"] = rng.choice(STATUSES)
    if rng.random() < 0.4:
        params["sort"] = rng.choice(SORTS)
    if rng.random() < 0.35:
        params["page"] = rng.randint(2, 40 if not params.get("q") else 3)
    return "/models/" + (f"?{urlencode(params)}" if params else "")


def _path(kind: str, rng: random.Random, data: dict[str, Any]) -> str:
    models = data["models"]
    model = rng.choice(models) if models else {"id": "unknown", "_versions": []}
    mid = quote(model["id"], safe="")
    versions = model.get("_versions") or ["unknown"]
    if kind == "models_list":
        return _models_list(rng, data)
    if kind == "model":
        return f"/models/{mid}/" + (f"?status={rng.choice(STATUSES)}" if rng.random() < 0.2 else "")
    if kind == "version":
        return f"/models/{mid}/versions/{quote(rng.choice(versions), safe='')}/"
    if kind == "compare":
        chosen = rng.sample(versions, min(len(versions), rng.randint(2, 5)))
        return f"/models/{mid}/compare/?" + "&".join(f"v={quote(v, safe='')}" for v in chosen)
    if kind == "overview":
        return "/"
    if kind == "experiments":
        roll = rng.random()
        if roll < 0.3:
            return f"/experiments/?status={rng.choice(('running', 'completed', 'failed'))}"
        if roll < 0.5:
            return f"/experiments/?model={mid}"
        return "/experiments/"
    if kind == "experiment":
        return f"/experiments/{quote(rng.choice(data['experiments'] or ['unknown']), safe='')}/"
    if kind == "deployments":
        return "/deployments/"
    if kind == "deployment":
        return f"/deployments/{quote(rng.choice(data['deployments'] or ['unknown']), safe='')}/"
    if kind == "insights":
        return rng.choice(("/insights/production/", "/insights/hygiene/", "/insights/resources/"))
    raise ValueError(kind)


def requests_for(data: dict[str, Any], sessions: list[tuple[str, str, str]], *, count: int, seed: int = 7) -> list[Request]:
    """`count` requests drawn from MIX, each by one of `sessions` ((role, session, csrf))."""
    rng = random.Random(seed)
    kinds = [k for k, w in MIX for _ in range(w)]
    writers = [i for i, (role, _, _) in enumerate(sessions) if role != "viewer"]
    out = []
    for _ in range(count):
        kind = rng.choice(kinds)
        if kind == "write" and data["models"] and writers:
            person = rng.choice(writers)
            model = rng.choice(data["models"])
            body = urlencode({
                "csrfmiddlewaretoken": sessions[person][2],
                "name": model.get("name", ""),
                "description": f"Edited by the benchmark ({rng.randrange(10**6)})",
                "framework": model.get("framework") or "",
                "task_type": model.get("task_type") or "",
                "tags": ", ".join(model.get("tags") or []),
            })  # fmt: skip
            out.append(Request("write", "POST", f"/models/{quote(model['id'], safe='')}/edit/", person, body))
        else:
            kind = "overview" if kind == "write" else kind
            out.append(Request(kind, "GET", _path(kind, rng, data), rng.randrange(len(sessions))))
    return out


def wrk_script(reqs: list[Request], sessions: list[tuple[str, str, str]], out: Path, threads: int) -> Path:
    """A wrk script replaying `reqs` in turn (each wrk thread from its own share of the list),
    with each request's person's cookies, reporting p95 besides wrk's usual figures."""
    cookies = [f"sessionid={s}; csrftoken={c}" for _, s, c in sessions]
    rows = ",\n  ".join(
        "{" + ", ".join([json.dumps(r.method), json.dumps(r.path), str(r.person + 1), json.dumps(r.body)]) + "}"
        for r in reqs
    )
    lua = (
        "local reqs = {\n  " + rows + "\n}\n"
        "local cookies = {" + ", ".join(json.dumps(c) for c in cookies) + "}\n"
        f"local threads, counter = {max(1, threads)}, 0\n"
        "function setup(thread) thread:set(\"first\", counter); counter = counter + 1 end\n"
        "local i = 0\n"
        "function init(args) i = math.floor((first or 0) * #reqs / threads) end\n"
        "function request()\n"
        "  i = i % #reqs + 1\n"
        "  local r = reqs[i]\n"
        "  local headers = {Cookie = cookies[r[3]]}\n"
        "  if r[1] == \"POST\" then\n"
        "    headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\n"
        "    headers[\"Referer\"] = \"http://\" .. wrk.host .. \":\" .. wrk.port .. r[2]\n"
        "    return wrk.format(\"POST\", r[2], headers, r[4])\n"
        "  end\n"
        "  return wrk.format(\"GET\", r[2], headers)\n"
        "end\n"
        "done = function(summary, latency, requests)\n"
        "  io.write(string.format(\"MIXEDJSON {\\\"requests\\\":%d,\\\"duration_us\\\":%d,\\\"status_errors\\\":%d,"
        "\\\"socket_errors\\\":%d,\\\"p50_us\\\":%d,\\\"p95_us\\\":%d,\\\"p99_us\\\":%d,\\\"max_us\\\":%d}\\n\",\n"
        "    summary.requests, summary.duration, summary.errors.status,\n"
        "    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,\n"
        "    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))\n"
        "end\n"
    )
    out.write_text(lua)
    return out


def run_wrk(base: str, script: Path, *, seconds: float, connections: int, threads: int = 2) -> dict[str, Any]:
    cmd = [load.WRK, "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
           "--timeout", "10s", "-s", str(script), base + "/"]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    except subprocess.TimeoutExpired:
        return {"error": "wrk did not finish in time"}
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("MIXEDJSON ")), None)
    if line is None:
        return {"error": f"wrk failed: {(done.stdout + done.stderr).strip()[-500:]}"}
    d = json.loads(line.removeprefix("MIXEDJSON "))
    duration = max(d["duration_us"] / 1e6, 1e-9)
    return {
        "requests": d["requests"], "rps": round(d["requests"] / duration, 1),
        "p50_ms": round(d["p50_us"] / 1000, 2), "p95_ms": round(d["p95_us"] / 1000, 2),
        "p99_ms": round(d["p99_us"] / 1000, 2), "max_ms": round(d["max_us"] / 1000, 2),
        "status_errors": d["status_errors"], "socket_errors": d["socket_errors"],
    }  # fmt: skip


_ACCESS = re.compile(r'^\S+ (\d{3}) (\d+) "(\w+) (\S+) ')


def per_kind(access_lines: list[str], reqs: list[Request]) -> dict[str, dict[str, Any]]:
    """Latency percentiles and errors per page kind, from Pond's access log (status, µs, request line)."""
    kind_of = {(r.method, r.path): r.kind for r in reqs}
    times: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    for line in access_lines:
        m = _ACCESS.match(line)
        if not m:
            continue
        status, micros, method, path = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
        kind = kind_of.get((method, path))
        if kind is None:
            continue
        times.setdefault(kind, []).append(micros / 1000)
        if status >= 400:
            errors[kind] = errors.get(kind, 0) + 1
    out = {}
    for kind, values in sorted(times.items()):
        values.sort()
        out[kind] = {
            "n": len(values), "p50_ms": round(statistics.median(values), 1),
            "p95_ms": round(values[min(len(values) - 1, int(0.95 * len(values)))], 1),
            "p99_ms": round(values[min(len(values) - 1, int(0.99 * len(values)))], 1),
            "errors": errors.get(kind, 0),
        }  # fmt: skip
    return out
