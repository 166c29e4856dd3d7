"""`make bench`: Pond's performance, measured on realistic data, as ratios to a floor.

Seeds the embedded registry at scale into its own database, runs it as a separate
gunicorn process (a remote upstream), runs Pond under gunicorn with a Celery worker
and beat on Redis DB 14, drives every page with wrk, and writes bench/RESULTS.md and
bench/results.json. See bench/README.md for what each number means.

    .venv/bin/python bench/run.py                       # full: a 100-model pass, then 10,000
    .venv/bin/python bench/run.py --scale small --quick # a smoke run of about a minute
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import signal
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import load, mixed, profile, report, seed_api, stack  # noqa: E402

OUT = ROOT / "bench" / "out"
SIZES = {
    # 1 % of the full data: the "as the data grows" comparison point.
    "small": {"models": 100, "versions_per_model": 10, "experiments": 200, "deployments": 10},
    "full": {"models": 10_000, "versions_per_model": 10, "experiments": 20_000, "deployments": 1_000},
}
BENCH_USER = "engineer"  # the demo engineer browses the pages


@dataclass
class Options:
    seconds: float
    warmup: float
    connections: int
    cold_samples: int
    status_changes: int
    poll_interval: float
    web_workers: int
    threads: int
    profile: str
    database: str
    mixed_seconds: float
    people: int


class Interrupted(Exception):
    pass


def _on_signal(signum: int, _frame: Any) -> None:
    raise Interrupted(f"signal {signum}")


def log(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


# --- one pass: seed, start, measure, stop ------------------------------------------------


def run_pass(name: str, sizes: dict[str, int], opts: Options) -> dict[str, Any]:
    out = stack.clean_dir(OUT / name)
    result: dict[str, Any] = {"sizes": sizes, "setup_errors": [], "timings": {}}
    procs = stack.Stack(out)
    setup_log = out / "setup.log"
    try:
        _run_pass(name, sizes, opts, out, procs, setup_log, result)
    finally:
        log(f"{name}: stopping every process")
        procs.stop()
        stack.redis_flush()
    return result


def _base_env(database_url: str, secret: str, var_dir: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("POND_", "JFROG_ML_", "DJANGO_", "REGISTRY_", "CELERY_"))
            and k not in {"DATABASE_URL", "REDIS_URL", "PORT"}}
    return {
        **keep,
        "DJANGO_SETTINGS_MODULE": "webui.settings",
        "DJANGO_SECRET_KEY": secret,
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        "POND_VAR_DIR": str(var_dir),
        "POND_LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }


def _run_pass(name: str, sizes: dict[str, int], opts: Options, out: Path, procs: stack.Stack,
              setup_log: Path, result: dict[str, Any]) -> None:
    t0 = time.monotonic()
    result["loadavg_start"] = report.loadavg()
    database_url = stack.recreate_database(out, engine=opts.database)
    result["database"] = "postgresql" if database_url.startswith("postgres") else "sqlite"
    stack.redis_flush()
    secret = secrets.token_urlsafe(40)
    reg_port, web_port, floor_port = stack.free_port(), stack.free_port(), stack.free_port()
    reg_env = {**_base_env(database_url, secret, out / "var-registry"), "POND_EMBEDDED_REGISTRY": "1",
               "PORT": str(reg_port), "REGISTRY_DEPLOY_DELAY": "1"}
    upstream = f"http://127.0.0.1:{reg_port}/ml/api"
    pond_env = {
        **_base_env(database_url, secret, out / "var-pond"),
        "POND_EMBEDDED_REGISTRY": "0",
        "JFROG_ML_URL": upstream,
        "REDIS_URL": stack.REDIS_URL,
        "POND_CACHE_PREFIX": stack.CACHE_PREFIX,
        "POND_CELERY_QUEUE": stack.CELERY_QUEUE,
        # Anonymous visitors read the status page, its JSON and badges: the traffic that
        # matters for them (a badge in a README is never logged in).
        "POND_STATUS_PUBLIC": "1",
        "POND_POLL_INTERVAL": str(opts.poll_interval),
        # The simulated people all log in from 127.0.0.1 within a minute.
        "POND_AUTH_ATTEMPTS_PER_MINUTE": "1000",
        "PORT": str(web_port),
    }

    log(f"{name}: migrating a fresh {result['database']} database")
    stack.manage(["migrate", "--noinput"], reg_env, timeout=600, log=setup_log)
    result["timings"]["migrate_s"] = round(time.monotonic() - t0, 1)

    t = time.monotonic()
    log(f"{name}: seeding the registry: {sizes}")
    try:
        stack.manage([
            "seed_registry", "--models", str(sizes["models"]),
            "--versions-per-model", str(sizes["versions_per_model"]),
            "--experiments", str(sizes["experiments"]), "--deployments", str(sizes["deployments"]),
        ], reg_env, timeout=1200, log=setup_log)
        seeded = True
    except stack.StackError as exc:
        result["setup_errors"].append(f"seed_registry: {exc}")
        seeded = False
    result["timings"]["seed_registry_s"] = round(time.monotonic() - t, 1)

    log(f"{name}: starting the registry (gunicorn on :{reg_port})")
    registry = procs.start("registry", stack.gunicorn_cmd(
        "webui.wsgi:application", ports=[reg_port], workers=opts.web_workers, threads=opts.threads,
        access_log=out / "registry-access.log"), reg_env)
    stack.wait_http(f"http://127.0.0.1:{reg_port}/healthz", registry)

    token = ""
    try:
        # Pond talks to its registry as the service principal, as in production: only it
        # may set a version to staging or production (the seeding below does).
        token = stack.manage(
            ["shell", "-c", "from django.conf import settings; print(settings.REGISTRY_SERVICE_TOKEN)"],
            reg_env, timeout=120, log=setup_log,
        ).strip().splitlines()[-1].strip()  # fmt: skip
    except (stack.StackError, IndexError) as exc:
        result["setup_errors"].append(f"registry service token: {exc}")
    pond_env["JFROG_ML_TOKEN"] = token
    if not seeded and token:
        t = time.monotonic()
        log(f"{name}: no bulk seeding in the registry; seeding a small data set through its API instead")
        try:
            result["seeded_via_api"] = seed_api.seed_via_api(upstream, token, sizes)
        except requests.RequestException as exc:
            result["setup_errors"].append(f"seeding through the API: {exc}")
        result["timings"]["seed_registry_s"] += round(time.monotonic() - t, 1)

    t = time.monotonic()
    try:
        # Pond's env has POND_EMBEDDED_REGISTRY=0: this creates the demo users and roles only.
        stack.manage(["seed_demo", "--no-history"], pond_env, timeout=300, log=setup_log)
    except stack.StackError as exc:
        result["setup_errors"].append(f"seed_demo: {exc}")
    log(f"{name}: seeding 90 days of status history")
    try:
        stack.run_python(
            "from webui.status.demo import seed_history\nprint(seed_history())", pond_env, timeout=900,
            log=setup_log)
    except stack.StackError as exc:
        result["setup_errors"].append(f"seed_history: {exc}")
    result["timings"]["seed_history_s"] = round(time.monotonic() - t, 1)
    result["timings"]["setup_total_s"] = round(time.monotonic() - t0, 1)

    # The floor, in the same pass, under the same gunicorn settings.
    floor_proc = procs.start("floor", stack.gunicorn_cmd(
        "bench.floor.wsgi:application", ports=[floor_port], workers=opts.web_workers, threads=opts.threads),
        {**pond_env, "DJANGO_SETTINGS_MODULE": "bench.floor.settings"})
    floor_url = f"http://127.0.0.1:{floor_port}/floor"
    stack.wait_http(floor_url, floor_proc)
    # The registry's own throughput, before Pond and its worker add traffic of their own
    # (the catalog refresh pages through every model): what a remote upstream would give.
    targets = _discover(upstream, token, result)
    result["registry"] = _measure_registry(upstream, token, targets, opts, floor_url)

    log(f"{name}: starting Pond (gunicorn on :{web_port}), the Celery worker and beat")
    web = procs.start("web", stack.gunicorn_cmd(
        "webui.wsgi:application", ports=[web_port], workers=opts.web_workers, threads=opts.threads,
        access_log=out / "web-access.log"), pond_env)
    queue = stack.CELERY_QUEUE
    procs.start("worker", [stack.PYTHON, "-m", "celery", "-A", "webui", "worker", "--loglevel", "INFO",
                           "--concurrency", "2", "--queues", queue, "--without-gossip", "--without-mingle"],
                pond_env)
    procs.start("beat", [stack.PYTHON, "-m", "celery", "-A", "webui", "beat", "--loglevel", "INFO",
                         "--schedule", str(out / "var-pond" / "celerybeat-schedule")], pond_env)
    base = f"http://127.0.0.1:{web_port}"
    stack.wait_http(f"{base}/healthz", web)
    _wait_first_poll(base, timeout=max(30.0, 6 * opts.poll_interval))
    session = _login(base, result) or _session_cookie(pond_env, setup_log, result)

    # The floor is measured with the whole stack up (the poller ticking, as during the
    # pages), once before the pages and once after, and the two are averaged.
    result["floor"] = [_measure_floor(floor_url, opts)]
    pages = _pages(targets)
    web_log = load.LogTail(out / "web.log")
    registry_log = load.LogTail(out / "registry-access.log")
    result["pages"] = {}
    # A production Pond has been up for a while: every page is asked for once (and its
    # fills allowed to finish) before anything is timed warm.
    result["timings"]["prime_s"] = _prime(base, pages, session, web, web_log)
    for key, (path, anonymous) in pages.items():
        if key in report.POLLED:
            # What many poll, one URL hammered: how a wall screen or a README badge meets it.
            log(f"{name}: page {key}, warm: {path}")
            result["pages"][key] = _measure_warm(base + path, None if anonymous else session, opts, web, web_log,
                                                 floor_url)
        else:
            probe = load.get(base + path, cookies=None if anonymous else session, timeout=60)
            result["pages"][key] = {"url": path, "verdict": probe.verdict()}
    # Pages as a team meets them: many people, many different pages, nearly all built afresh.
    result["mixed"] = _measure_mixed(base, upstream, token, opts, web, web_log, floor_url, out)
    if opts.profile != "none":
        result["profile"] = _profile(opts, result["mixed"], pages, base, session, web, out)
    result["floor"].append(_measure_floor(floor_url, opts))
    result["status_change"] = _measure_status_changes(base, upstream, token, opts)
    # Cold last: emptying the cache disturbs whatever is measured after it.
    for key, (path, anonymous) in pages.items():
        if result["pages"][key].get("verdict") != "ok":
            continue
        log(f"{name}: page {key}, cold")
        result["pages"][key]["cold"] = _measure_cold(base + path, None if anonymous else session, opts, web,
                                                     web_log, registry_log)
    result["poller"] = _poller_figures(base, out / "worker.log")
    result["memory_mib"] = {p: stack.peak_memory(procs.get(p)) for p in ("web", "worker", "beat", "registry", "floor")}
    result["loadavg_end"] = report.loadavg()
    result["timings"]["pass_total_s"] = round(time.monotonic() - t0, 1)


def _login(base: str, result: dict[str, Any]) -> dict[str, str]:
    """Log in as the demo engineer through the real login form; {} if that is not possible."""
    try:
        session, _ = mixed.log_in(base, BENCH_USER)
    except (requests.RequestException, RuntimeError):
        return {}
    result["user"] = BENCH_USER
    return {"sessionid": session}


def _session_cookie(env: dict[str, str], setup_log: Path, result: dict[str, Any]) -> dict[str, str]:
    """A logged-in session of the demo engineer (created with the ORM; a superuser if that user is missing)."""
    code = f"""
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
User = get_user_model()
user = User.objects.filter(username={BENCH_USER!r}).first()
if user is None:
    user = User.objects.create_superuser('bench', 'bench@pond.example', None)
client = Client()
client.force_login(user)
print(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value, user.username)
"""
    # Without login throttling: django-axes would record the login with no client address.
    env = {**env, "POND_LOGIN_THROTTLING": "0"}
    try:
        name, value, user = stack.run_python(code, env, timeout=120, log=setup_log).split()[-3:]
    except (stack.StackError, ValueError) as exc:
        result["setup_errors"].append(f"session: {exc}")
        return {}
    result["user"] = user
    return {name: value}


def _wait_first_poll(base: str, timeout: float) -> None:
    """Until /status.json lists deployments (the poller ran once), within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        probe = load.get(f"{base}/status.json", timeout=5)
        if probe.ok and b'"deployments"' in probe.body and b'"id"' in probe.body:
            return
        time.sleep(0.5)
    log("the status document did not list deployments in time; measuring anyway")


# --- what to measure -----------------------------------------------------------------------


def _api(upstream: str, token: str, path: str, **params: Any) -> Any:
    try:
        resp = requests.get(f"{upstream}{path}", params=params, timeout=30,
                            headers={"Authorization": f"Bearer {token}"} if token else {})
        return resp.json() if resp.ok else None
    except (requests.RequestException, ValueError):
        return None


def _discover(upstream: str, token: str, result: dict[str, Any]) -> dict[str, Any]:
    """Real IDs to put in page URLs: a model from the middle of the list, its versions, a deployment."""
    targets: dict[str, Any] = {"model": None, "versions": [], "deployment": None, "search": "model"}
    first = _api(upstream, token, "/v1/models", limit=1) or {}
    total = int(first.get("total_count") or 0)
    page = _api(upstream, token, "/v1/models", limit=1, offset=max(0, total // 2)) or {}
    models = page.get("models") or first.get("models") or []
    if models:
        model = models[0]
        targets["model"] = model.get("id")
        words = [w for w in str(model.get("name", "")).replace("_", "-").split("-") if len(w) >= 3]
        targets["search"] = words[0] if words else str(model.get("name", "model"))[:6]
        versions = (_api(upstream, token, f"/v1/models/{model.get('id')}/versions") or {}).get("versions") or []
        targets["versions"] = [v.get("id") for v in versions if v.get("id")][:5]
    deployments = (_api(upstream, token, "/v1/deployments") or {}).get("deployments") or []
    if deployments:
        targets["deployment"] = deployments[len(deployments) // 2].get("id")
    targets["deployments"] = [(d.get("id"), d.get("status")) for d in deployments]
    result["targets"] = {k: v for k, v in targets.items() if k != "deployments"}
    result["targets"]["models_total"] = total
    return targets


def _pages(t: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """key -> (path, anonymous). Pages with an unknown ID are still listed (and reported missing)."""
    model, versions, dep = t["model"] or "unknown", t["versions"], t["deployment"] or "unknown"
    compare = "&".join(f"v={v}" for v in versions[:5]) or "v=unknown"
    return {
        "overview": ("/", False),
        "models": ("/models/", False),
        "models_search": (f"/models/?q={t['search']}", False),
        "model": (f"/models/{model}/", False),
        "version": (f"/models/{model}/versions/{versions[0] if versions else 'unknown'}/", False),
        "compare": (f"/models/{model}/compare/?{compare}", False),
        "experiments": ("/experiments/", False),
        "deployments": ("/deployments/", False),
        "insights_production": ("/insights/production/", False),
        "insights_hygiene": ("/insights/hygiene/", False),
        "insights_resources": ("/insights/resources/", False),
        "status": ("/status/", True),
        "status_json": ("/status.json", True),
        "badge": (f"/status/badge/{dep}.svg", True),
    }


def _measure_floor(url: str, opts: Options) -> dict[str, Any]:
    load.wrk(url, seconds=opts.warmup, connections=opts.connections)
    return load.wrk(url, seconds=opts.seconds, connections=opts.connections).as_dict()


def _cookie_header(cookies: dict[str, str] | None) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}


def _prime(base: str, pages: dict[str, tuple[str, bool]], session: dict[str, str], web: stack.Proc,
           web_log: load.LogTail, budget: float = 180.0) -> float:
    """One request per page, in turn, within `budget` seconds in all; then wait for quiet."""
    started = time.monotonic()
    for path, anonymous in pages.values():
        left = budget - (time.monotonic() - started)
        if left <= 1:
            break
        load.get(base + path, cookies=None if anonymous else session, timeout=min(60.0, left))
    _quiesce(web, web_log)
    return round(time.monotonic() - started, 1)


def _measure_warm(url: str, cookies: dict[str, str] | None, opts: Options, web: stack.Proc,
                  web_log: load.LogTail, floor_url: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"url": "/" + url.split("/", 3)[-1]}
    entry["quiet_after_s"] = _quiesce(web, web_log)
    probe = load.get(url, cookies=cookies, timeout=60)
    entry["verdict"] = probe.verdict()
    if not probe.ok:
        return entry
    entry["bytes"] = len(probe.body)

    # The floor again, right before this page's run: the machine is shared, and a ratio to
    # a floor measured minutes earlier would carry whatever else ran in between.
    entry["floor"] = load.wrk(floor_url, seconds=max(2.0, opts.seconds / 3), connections=opts.connections).as_dict()

    # Warm: a warm-up, then a fixed-concurrency run; upstream calls counted over the run.
    headers = _cookie_header(cookies)
    load.wrk(url, seconds=opts.warmup, connections=opts.connections, headers=headers)
    web_log.mark()
    warm = load.wrk(url, seconds=opts.seconds, connections=opts.connections, headers=headers)
    calls = [c for c in load.upstream_calls(web_log.read_new(settle=0.3)) if c.purpose != "poller"]
    entry["warm"] = warm.as_dict()
    entry["warm"]["upstream_calls"] = len(calls)
    entry["warm"]["upstream_per_view"] = round(len(calls) / warm.requests, 4) if warm.requests else None
    return entry


def _measure_mixed(base: str, upstream: str, token: str, opts: Options, web: stack.Proc, web_log: load.LogTail,
                   floor_url: str, out: Path) -> dict[str, Any]:
    """The mixed browsing workload (bench/mixed.py): `opts.people` logged-in people, no think time."""
    log(f"mixed browsing workload: {opts.people} people, {opts.mixed_seconds:g} s")
    entry: dict[str, Any] = {"people": opts.people, "seconds": opts.mixed_seconds}
    try:
        data = mixed.sample_data(upstream, token, random.Random(7))
        roles = [mixed.PEOPLE[i % len(mixed.PEOPLE)] for i in range(opts.people)]
        sessions = [(role, *mixed.log_in(base, role)) for role in roles]
    except (requests.RequestException, RuntimeError) as exc:
        entry["error"] = f"could not prepare the workload: {exc}"
        return entry
    reqs = mixed.requests_for(data, sessions, count=20_000)
    entry["mix"] = {kind: sum(1 for r in reqs if r.kind == kind) for kind, _ in mixed.MIX}
    script = mixed.wrk_script(reqs, sessions, out / "mixed.lua", threads=2)
    entry["quiet_after_s"] = _quiesce(web, web_log)
    entry["floor"] = load.wrk(floor_url, seconds=max(2.0, opts.seconds / 3), connections=opts.connections).as_dict()
    mixed.run_wrk(base, script, seconds=opts.warmup, connections=opts.people)
    access = load.LogTail(out / "web-access.log")
    access.mark()
    web_log.mark()
    entry["run"] = mixed.run_wrk(base, script, seconds=opts.mixed_seconds, connections=opts.people)
    entry["kinds"] = mixed.per_kind(access.read_new(settle=0.5), reqs)
    calls = [c for c in load.upstream_calls(web_log.read_new()) if c.purpose != "poller"]
    views = (entry["run"] or {}).get("requests") or 0
    entry["upstream_per_view"] = round(len(calls) / views, 3) if views else None
    return entry


def _measure_cold(url: str, cookies: dict[str, str] | None, opts: Options, web: stack.Proc,
                  web_log: load.LogTail, registry_log: load.LogTail) -> list[dict[str, Any]]:
    """The first view after the caches were emptied (but what Celery keeps warm: the
    catalog, every experiment, the deployment list), timed alone; repeated to see the spread."""
    cold: list[dict[str, Any]] = []
    for _ in range(opts.cold_samples):
        _quiesce(web, web_log)
        stack.cache_clear(keep=stack.CELERY_KEPT)
        web_log.mark()
        registry_log.mark()
        sample = load.get(url, cookies=cookies, timeout=60)
        calls = [c for c in load.upstream_calls(web_log.read_new()) if c.purpose != "poller"]
        server_ms = load.registry_durations(registry_log.read_new())
        cold.append({
            "status": sample.status,
            "ms": round(sample.seconds * 1000, 1),
            "upstream_calls": len(calls),
            "upstream_ms": round(sum(server_ms.get(c.request_id, c.ms) for c in calls), 1),
            "upstream_paths": sorted({c.path for c in calls})[:10],
        })
        if sum(c["ms"] for c in cold) > 20_000:
            break  # a page this slow cold has made its point; the run stays bounded
    return cold


def _profile(opts: Options, measured_mixed: dict[str, Any], pages: dict[str, tuple[str, bool]], base: str,
             session: dict[str, str], web: stack.Proc, out: Path) -> dict[str, Any]:
    """py-spy on the web workers while the mixed workload runs again (auto), or while wrk
    drives the one page asked for."""
    if opts.profile == "auto":
        script = out / "mixed.lua"
        if not script.exists():
            return {"verdict": "not available (the mixed workload did not run)"}
        log("profiling the mixed workload with py-spy")

        def drive() -> dict[str, Any] | None:
            return mixed.run_wrk(base, script, seconds=opts.seconds, connections=opts.people)

        return {"page": "mixed workload", **profile.profile_while(drive, master_pid=web.pid, seconds=opts.seconds, out=out)}
    key = opts.profile
    if key not in pages:
        return {"verdict": f"not available (no such page: {key})"}
    path, anonymous = pages[key]
    log(f"profiling page {key} with py-spy")
    found = profile.profile_page(base + path, master_pid=web.pid, seconds=opts.seconds, connections=opts.connections,
                                 headers={} if anonymous else _cookie_header(session), out=out)
    return {"page": f"page `{key}`", **found}


def _quiesce(web: stack.Proc, web_log: load.LogTail, *, quiet: float = 1.0, limit: float = 30.0) -> float:
    """Wait until Pond's web workers are idle for `quiet` seconds (at most `limit`): no upstream
    call and under 10 % of a core.

    Requests the previous page's wrk run left queued still finish after wrk stops; their
    upstream calls must not be counted against the next page's cold view, nor their CPU
    slow it down.
    """
    started = time.monotonic()
    web_log.mark()
    cpu = stack.cpu_seconds(web)
    while time.monotonic() - started < limit:
        time.sleep(quiet)
        now_cpu = stack.cpu_seconds(web)
        busy = now_cpu - cpu > 0.1 * quiet
        cpu = now_cpu
        if not busy and not load.upstream_calls(web_log.read_new(settle=0)):
            break
    return round(time.monotonic() - started, 1)


def _measure_registry(upstream: str, token: str, targets: dict[str, Any], opts: Options,
                      floor_url: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    out: dict[str, Any] = {
        "floor": load.wrk(floor_url, seconds=max(2.0, opts.seconds / 3), connections=opts.connections).as_dict(),
    }
    for key, path in (("list", "/v1/models?limit=25"), ("get", f"/v1/models/{targets['model'] or 'unknown'}")):
        url = upstream + path
        probe = load.get(url, headers=headers)
        out[key] = {"url": path, "verdict": probe.verdict()}
        if probe.ok:
            load.wrk(url, seconds=opts.warmup, connections=opts.connections, headers=headers)
            out[key]["warm"] = load.wrk(url, seconds=opts.seconds, connections=opts.connections,
                                        headers=headers).as_dict()
    return out


# --- status changes and the poller --------------------------------------------------------


def _status_doc(base: str, timeout: float = 10) -> dict | None:
    probe = load.get(f"{base}/status.json", timeout=timeout)
    if not probe.ok:
        return None
    try:
        import json

        return json.loads(probe.body)
    except ValueError:
        return None


def _doc_entries(doc: dict | None) -> dict[str, dict]:
    return {str(d.get("id")): d for d in (doc or {}).get("deployments", []) if isinstance(d, dict)}


def _doc_statuses(doc: dict | None) -> dict[str, str]:
    return {k: str(d.get("status")) for k, d in _doc_entries(doc).items()}


def _measure_status_changes(base: str, upstream: str, token: str, opts: Options) -> dict[str, Any]:
    """PATCH a deployment's status upstream; time until /status.json shows it (raw, unconfirmed)."""
    out: dict[str, Any] = {"changes": [], "poll_interval_s": opts.poll_interval}
    deadline = time.monotonic() + 60
    doc = _status_doc(base, timeout=30)
    # Anything `deploying` keeps the poller on its fast interval: worth knowing when reading the figure.
    out["by_status_before"] = _find_key(doc, "by_status")
    shown = _doc_statuses(doc)
    while not any(s == "active" for s in shown.values()) and time.monotonic() < deadline:
        time.sleep(1)  # e.g. the document is being rebuilt
        shown = _doc_statuses(_status_doc(base, timeout=30))
    candidates = [d for d, s in shown.items() if s == "active"]
    random.Random(7).shuffle(candidates)
    if not candidates:
        out["verdict"] = "not available (no active deployment in /status.json)"
        return out
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    for dep in candidates[: opts.status_changes]:
        # Changes arrive at random moments, not in step with the poller.
        time.sleep(random.uniform(0.0, opts.poll_interval))
        new = "failed"
        started = time.perf_counter()
        try:
            resp = requests.patch(f"{upstream}/v1/deployments/{dep}", json={"status": new}, headers=headers,
                                  timeout=10)
        except requests.RequestException as exc:
            out["verdict"] = f"not available (PATCH failed: {type(exc).__name__})"
            return out
        if not resp.ok:
            out["verdict"] = f"not available (PATCH answered {resp.status_code}: {resp.text[:200]})"
            return out
        deadline = started + 4 * opts.poll_interval + 10
        seen = confirmed = None
        while time.perf_counter() < deadline:
            entry = _doc_entries(_status_doc(base)).get(dep) or {}
            if seen is None and entry.get("status") == new:
                seen = time.perf_counter() - started
            if seen is not None and entry.get("status") == new and entry.get("confirmed") is not False:
                # Confirmed (or the document has no such flag): the poller is back to its
                # normal interval, so the next change does not ride on our own fast polls.
                confirmed = time.perf_counter() - started
                break
            time.sleep(0.1)
        out["changes"].append({"deployment": dep, "seconds": round(seen, 2) if seen is not None else None,
                               "confirmed_seconds": round(confirmed, 2) if confirmed is not None else None})
    seconds = [c["seconds"] for c in out["changes"] if c["seconds"] is not None]
    out["verdict"] = "ok"
    out["missed"] = sum(1 for c in out["changes"] if c["seconds"] is None)
    out["seconds"] = load.summarise(seconds)
    out["confirmed_seconds"] = load.summarise([c["confirmed_seconds"] for c in out["changes"]
                                               if c["confirmed_seconds"] is not None])
    return out


def _find_key(doc: Any, key: str, depth: int = 0) -> Any:
    """The first value of `key` anywhere in a JSON document (its layout is the status page's business)."""
    if depth > 4:
        return None
    if isinstance(doc, dict):
        if key in doc:
            return doc[key]
        children = [v for v in doc.values() if isinstance(v, dict)]
    elif isinstance(doc, list):
        children = doc[:1]
    else:
        return None
    for child in children:
        found = _find_key(child, key, depth + 1)
        if found is not None:
            return found
    return None


def _poller_figures(base: str, worker_log: Path) -> dict[str, Any]:
    """The poller's cycle time: from its own record (/status.json) and the worker's task log."""
    out: dict[str, Any] = {"last_cycle_seconds": _find_key(_status_doc(base), "last_cycle_seconds")}
    runs: dict[str, list[float]] = {"deployment_status_poll": [], "catalog_refresh": []}
    try:
        for line in worker_log.read_text(errors="replace").splitlines():
            if " succeeded in " not in line:
                continue
            task = next((t for t in runs if f".{t}[" in line), None)
            tail = line.split(" succeeded in ", 1)[1]
            # Ticks that found no poll due (or the lock taken) return at once; they are not cycles.
            if task and tail.rstrip().endswith(": 'ok'"):
                runs[task].append(float(tail.split("s:", 1)[0]))
    except (OSError, ValueError):
        pass
    out["task_seconds"] = load.summarise(runs["deployment_status_poll"])
    out["catalog_refresh_seconds"] = load.summarise(runs["catalog_refresh"])
    return out


# --- entry point ---------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=["small", "full"], default="full",
                        help="full: a 100-model pass, then the 10,000-model pass (default); small: one small pass")
    parser.add_argument("--quick", action="store_true", help="short runs: a smoke test of the harness")
    parser.add_argument("--models", type=int, help="override the largest pass's model count")
    parser.add_argument("--versions-per-model", type=int)
    parser.add_argument("--experiments", type=int)
    parser.add_argument("--deployments", type=int)
    parser.add_argument("--seconds", type=float, help="seconds of load per page (default 10, quick 2)")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up per page (default 2, quick 1)")
    parser.add_argument("--connections", type=int, default=8, help="wrk concurrency for polled URLs (default 8)")
    parser.add_argument("--people", type=int, default=16, help="simulated people in the mixed workload (default 16)")
    parser.add_argument("--mixed-seconds", type=float, help="seconds of the mixed workload (default 60, quick 10)")
    parser.add_argument("--status-changes", type=int, help="status changes to time (default 20, quick 3)")
    parser.add_argument("--poll-interval", type=float, default=5.0, help="POND_POLL_INTERVAL (default 5)")
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn workers (as docker-compose: 3)")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (as docker-compose: 4)")
    parser.add_argument("--profile", help="what to profile with py-spy: auto (the mixed workload again; default), a "
                        "page key (that page under wrk) or none (default with --quick)")
    parser.add_argument("--database", choices=["auto", "postgresql", "sqlite"], default="auto",
                        help="auto: PostgreSQL pond_bench when it answers, else SQLite under bench/out/")
    parser.add_argument("--no-write", action="store_true", help="do not write RESULTS.md / results.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_signal)
    quick = args.quick
    opts = Options(
        seconds=args.seconds or (2 if quick else 10),
        warmup=args.warmup or (1 if quick else 2),
        connections=args.connections,
        cold_samples=2 if quick else 3,
        status_changes=args.status_changes or (3 if quick else 20),
        poll_interval=args.poll_interval,
        web_workers=args.web_workers,
        threads=args.threads,
        profile=args.profile or ("none" if quick else "auto"),
        database=args.database,
        mixed_seconds=args.mixed_seconds or (10 if quick else 60),
        people=args.people,
    )
    largest = dict(SIZES[args.scale])
    for key in ("models", "versions_per_model", "experiments", "deployments"):
        if getattr(args, key) is not None:
            largest[key] = getattr(args, key)
    passes: list[tuple[str, dict[str, int], Options]] = []
    if args.scale == "full" and largest["models"] > SIZES["small"]["models"]:
        # The growth comparison needs upstream calls per view at 100 models; short runs suffice.
        small_opts = Options(**{**opts.__dict__, "seconds": min(opts.seconds, 3), "warmup": 1,
                                "status_changes": min(opts.status_changes, 5), "profile": "none",
                                "mixed_seconds": min(opts.mixed_seconds, 10)})
        passes.append(("small", dict(SIZES["small"]), small_opts))
    passes.append(("full" if args.scale == "full" else "small", largest, opts))

    OUT.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    results: dict[str, Any] = {
        "command": " ".join(["bench/run.py", *(argv if argv is not None else sys.argv[1:])]),
        "started_at": started.isoformat(timespec="seconds"),
        "machine": report.machine(),
        "options": opts.__dict__,
        "passes": {},
    }
    code = 0
    try:
        for name, sizes, pass_opts in passes:
            log(f"pass {name}: {sizes}")
            results["passes"][name] = run_pass(name, sizes, pass_opts)
    except (KeyboardInterrupt, Interrupted) as exc:
        log(f"interrupted ({exc}); every process was stopped")
        results["interrupted"] = True
        code = 130
    except stack.StackError as exc:
        log(f"could not run: {exc}")
        results["error"] = str(exc)
        code = 1
    results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["duration_s"] = round((datetime.now(UTC) - started).total_seconds(), 1)
    results["targets"] = report.evaluate(results)
    if not args.no_write:
        report.write(results, ROOT / "bench" / "results.json", ROOT / "bench" / "RESULTS.md")
        log("wrote bench/RESULTS.md and bench/results.json")
    else:
        report.write(results, OUT / "results.json", OUT / "RESULTS.md")
        log("wrote bench/out/RESULTS.md and bench/out/results.json")
    print(report.summary(results), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
