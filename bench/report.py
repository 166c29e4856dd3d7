"""The benchmark's verdicts and its two outputs: RESULTS.md for people, results.json for diffs.

Every page figure is a ratio to the floor measured in the same pass, so that a
slower or busier machine moves the floor and the pages together.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
from pathlib import Path
from typing import Any

STATUS_LIGHT = ("status_json", "badge")
STATUS_PAGE = ("status",)
# What many poll (wall screens, READMEs, pond.js): measured one URL at a time. Every other
# page is measured in the mixed browsing workload (bench/mixed.py) and cold.
POLLED = STATUS_LIGHT + STATUS_PAGE
COLD_FIRST_VIEW_MS = 1000.0
PAGE_NAMES = {
    "overview": "Overview `/`",
    "models": "Models `/models/`",
    "models_search": "Models, searching",
    "model": "Model detail",
    "version": "Version",
    "compare": "Compare 5 versions",
    "experiments": "Experiments",
    "deployments": "Deployments",
    "insights_production": "Insights: production truth",
    "insights_hygiene": "Insights: hygiene",
    "insights_resources": "Insights: resources",
    "status": "Status page `/status/`",
    "status_json": "`/status.json`",
    "badge": "Badge (SVG)",
}


# --- machine -----------------------------------------------------------------------


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"cores": os.cpu_count(), "python": platform.python_version()}
    try:
        import django
        import gunicorn

        info["django"] = django.get_version()
        info["gunicorn"] = gunicorn.__version__
    except ImportError:
        pass
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["memory_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info["kernel"] = platform.release()
    try:
        out = subprocess.run(["/usr/bin/wrk", "--version"], capture_output=True, text=True, timeout=5)
        info["wrk"] = (out.stdout + out.stderr).split("Copyright")[0].strip()
    except (OSError, subprocess.TimeoutExpired):
        pass
    try:
        import psycopg

        with psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", connect_timeout=3) as conn:
            info["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
    except Exception:
        info["postgresql"] = None
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", socket_timeout=2, socket_connect_timeout=2)
        info["redis"] = client.info("server").get("redis_version")
        client.close()
    except Exception:
        info["redis"] = None
    return info


def loadavg() -> list[float] | None:
    """1, 5 and 15-minute load averages: how busy the (shared) machine was."""
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except (OSError, ValueError):
        return None


# --- verdicts ------------------------------------------------------------------------


def floor_of(p: dict[str, Any]) -> dict[str, float] | None:
    runs = [f for f in p.get("floor", []) if f.get("requests")]
    if not runs:
        return None
    return {
        "rps": round(statistics.mean(f["rps"] for f in runs), 1),
        "p50_ms": round(statistics.mean(f["p50_ms"] for f in runs), 2),
        "p99_ms": round(statistics.mean(f["p99_ms"] for f in runs), 2),
    }


def page_floor(page: dict[str, Any], pass_floor: dict[str, float] | None) -> dict[str, float] | None:
    """The floor sampled right before this page, else the pass's mean floor."""
    f = page.get("floor")
    if f and f.get("requests") and not f.get("error"):
        return {"rps": f["rps"], "p50_ms": f["p50_ms"], "p99_ms": f["p99_ms"]}
    return pass_floor


def _target(tid: str, what: str, measured: float | None, limit: float, *, higher_is_better: bool,
            unit: str, pass_name: str, note: str = "") -> dict[str, Any]:
    if measured is None:
        return {"id": tid, "pass": pass_name, "what": what, "measured": None, "limit": round(limit, 2),
                "unit": unit, "ok": None, "miss": "not measured" + (f" ({note})" if note else "")}
    ok = measured >= limit if higher_is_better else measured <= limit
    miss = ""
    if not ok:
        if higher_is_better:
            factor = limit / measured if measured else float("inf")
            miss = f"{limit - measured:.1f} {unit} short ({factor:.1f}× below the target)"
        else:
            factor = measured / limit if limit else float("inf")
            miss = f"{measured - limit:.1f} {unit} over ({factor:.1f}× the limit)"
    return {"id": tid, "pass": pass_name, "what": what, "measured": round(measured, 2), "limit": round(limit, 2),
            "unit": unit, "ok": ok, "miss": miss, **({"note": note} if note else {})}


def _cold_overhead(page: dict[str, Any]) -> float | None:
    cold = [c for c in page.get("cold", []) if c.get("status") and 200 <= c["status"] < 300]
    if not cold:
        return None
    return statistics.median(c["ms"] - c["upstream_ms"] for c in cold)


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    passes = results.get("passes", {})
    if not passes:
        return []
    name = "full" if "full" in passes else next(iter(passes))
    p = passes[name]
    out: list[dict[str, Any]] = []
    floor = floor_of(p)
    pages = p.get("pages", {})
    pass_floor = floor
    out += _mixed_targets(p.get("mixed") or {}, pass_floor, name)
    for key, page in pages.items():
        label = PAGE_NAMES.get(key, key)
        floor = page_floor(page, pass_floor)
        warm = page.get("warm") if page.get("verdict") == "ok" else None
        why = page.get("verdict", "not measured")
        if key not in POLLED:
            if why.startswith("error"):
                out.append({"id": f"{key}.works", "pass": name, "what": f"{label} answers", "measured": None,
                            "limit": None, "unit": "", "ok": False, "miss": why})
                continue
            cold = [c["ms"] for c in page.get("cold", []) if c.get("status") and 200 <= c["status"] < 300]
            out.append(_target(f"{key}.cold_first_view", f"{label}, first view after the caches were emptied "
                               f"≤ {COLD_FIRST_VIEW_MS:g} ms (median)", statistics.median(cold) if cold else None,
                               COLD_FIRST_VIEW_MS, higher_is_better=False, unit="ms", pass_name=name,
                               note="" if cold else why))
            continue
        if key in STATUS_LIGHT:
            lat_factor, rps_div = 3, 3
        elif key in STATUS_PAGE:
            lat_factor, rps_div = 10, 8
        else:
            lat_factor, rps_div = 10, 8
        if floor is None:
            out.append(_target(f"{key}.warm", f"{label}, warm", None, 0, higher_is_better=True, unit="",
                               pass_name=name, note="no floor"))
            continue
        if why.startswith("error"):
            # A page that fails or times out is a miss, not a gap in the measurements.
            out.append({"id": f"{key}.works", "pass": name, "what": f"{label} answers", "measured": None,
                        "limit": None, "unit": "", "ok": False, "miss": why})
            continue
        if warm and not warm.get("error") and not warm.get("requests"):
            out.append({"id": f"{key}.works", "pass": name, "what": f"{label} answers under load", "measured": None,
                        "limit": None, "unit": "", "ok": False,
                        "miss": f"no request completed in the {warm['seconds']:g} s run (wrk gives up after 10 s)"})
            continue
        ok_warm = warm and warm.get("requests") and not warm.get("error")
        failed = (warm.get("status_errors", 0) + warm.get("errors", 0)) if ok_warm else 0
        if ok_warm and failed > 0.01 * warm["requests"]:
            out.append({"id": f"{key}.errors", "pass": name, "what": f"{label} answers under load", "measured":
                        round(100 * failed / warm["requests"], 1), "limit": 1.0, "unit": "% errors", "ok": False,
                        "miss": f"{failed:,} of {warm['requests']:,} answers were errors or timeouts"})
        out.append(_target(f"{key}.warm_p50", f"{label}, warm median ≤ {lat_factor}× floor",
                           warm["p50_ms"] if ok_warm else None, lat_factor * floor["p50_ms"],
                           higher_is_better=False, unit="ms", pass_name=name, note="" if ok_warm else why))
        out.append(_target(f"{key}.warm_rps", f"{label}, warm throughput ≥ 1/{rps_div} floor",
                           warm["rps"] if ok_warm else None, floor["rps"] / rps_div,
                           higher_is_better=True, unit="req/s", pass_name=name, note="" if ok_warm else why))
        if key not in STATUS_LIGHT + STATUS_PAGE:
            out.append(_target(f"{key}.cold", f"{label}, cold ≤ upstream's own latency + 50 ms",
                               _cold_overhead(page), 50.0, higher_is_better=False, unit="ms",
                               pass_name=name, note="" if page.get("cold") else why))
    reg_floor = page_floor(p.get("registry", {}), pass_floor) or {"rps": 0}
    for key in ("list", "get"):
        reg = p.get("registry", {}).get(key, {})
        warm = reg.get("warm")
        out.append(_target(f"registry.{key}", f"Registry {key} throughput ≥ 1/4 floor",
                           warm["rps"] if warm and warm.get("requests") else None,
                           reg_floor["rps"] / 4, higher_is_better=True, unit="req/s",
                           pass_name=name, note=reg.get("verdict", "")))
    change = p.get("status_change", {})
    interval = change.get("poll_interval_s", 5.0)
    median = (change.get("seconds") or {}).get("median")
    out.append(_target("status_change.median", f"Status change visible in /status.json ≤ 1.5 × {interval:g} s (median)",
                       median, 1.5 * interval, higher_is_better=False, unit="s", pass_name=name,
                       note=change.get("verdict", "")))
    out += _growth(passes)
    return out


def _mixed_targets(m: dict[str, Any], floor: dict[str, float] | None, name: str) -> list[dict[str, Any]]:
    """The mixed browsing workload against its targets (bench/mixed.py)."""
    from bench.mixed import TARGETS

    run = m.get("run") or {}
    done = bool(run.get("requests")) and not run.get("error")
    why = m.get("error") or run.get("error") or ("" if done else "not measured")
    floor = page_floor(m, floor)
    people = m.get("people", 16)
    out = [
        _target(f"mixed.{q}", f"Mixed workload ({people} people), page views {q.split('_')[0]} ≤ {limit:g} ms",
                run.get(q) if done else None, limit, higher_is_better=False, unit="ms", pass_name=name, note=why)
        for q, limit in (("p50_ms", TARGETS["p50_ms"]), ("p95_ms", TARGETS["p95_ms"]), ("p99_ms", TARGETS["p99_ms"]))
    ]
    errors = (run.get("status_errors", 0) + run.get("socket_errors", 0)) if done else None
    out.append(_target("mixed.errors", "Mixed workload: errors (answers ≥ 400, timeouts, socket errors)", errors,
                       0, higher_is_better=False, unit="", pass_name=name, note=why))
    divisor = round(1 / TARGETS["rps_of_floor"])
    out.append(_target("mixed.rps", f"Mixed workload: throughput ≥ 1/{divisor} of the floor's",
                       run.get("rps") if done else None, (floor or {}).get("rps", 0) / divisor,
                       higher_is_better=True, unit="req/s", pass_name=name, note=why if floor else "no floor"))
    return out


def _growth(passes: dict[str, Any]) -> list[dict[str, Any]]:
    """Upstream calls per page view must not grow with the data (100 -> 10,000 models)."""
    if "small" not in passes or "full" not in passes:
        return []
    small, full = passes["small"].get("pages", {}), passes["full"].get("pages", {})
    out = []
    for key in PAGE_NAMES:
        a, b = small.get(key, {}), full.get(key, {})
        label = PAGE_NAMES[key]
        if a.get("verdict") != "ok" or b.get("verdict") != "ok":
            out.append(_target(f"{key}.growth", f"{label}: upstream calls per view constant", None, 0,
                               higher_is_better=False, unit="calls", pass_name="small→full",
                               note=b.get("verdict") or "not measured"))
            continue
        cold_a = statistics.median(c["upstream_calls"] for c in a["cold"]) if a.get("cold") else 0
        cold_b = statistics.median(c["upstream_calls"] for c in b["cold"]) if b.get("cold") else 0
        warm_a = (a.get("warm") or {}).get("upstream_per_view")
        warm_b = (b.get("warm") or {}).get("upstream_per_view")
        # Cold calls must be equal; warm calls per view may wobble by a TTL expiry or two.
        out.append(_target(f"{key}.growth_cold", f"{label}: cold upstream calls at full ≤ at 100 models ({cold_a:g})",
                           cold_b, cold_a, higher_is_better=False, unit="calls", pass_name="small→full"))
        if key not in POLLED:
            # Warm, these are measured in the mixed workload, where calls per view follow how
            # many different pages people ask for (more models, fewer repeats), not the code.
            continue
        # None: no view completed in one of the warm runs, so there is nothing to compare.
        out.append(_target(f"{key}.growth_warm", f"{label}: warm upstream calls/view at full ≤ at 100 models + 0.01",
                           warm_b if warm_a is not None else None, (warm_a or 0) + 0.01, higher_is_better=False,
                           unit="calls/view", pass_name="small→full", note="" if warm_a is not None and
                           warm_b is not None else "no view completed in a warm run"))
    return out


# --- writing -----------------------------------------------------------------------------


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _ratio(value: float | None, base: float | None, invert: bool = False) -> str:
    if not value or not base:
        return "–"
    return f"{(base / value if invert else value / base):.2f}×"


def markdown(results: dict[str, Any]) -> str:
    m = results.get("machine", {})
    lines = [
        "# Pond benchmark results",
        "",
        f"- Command: `{results.get('command', 'bench/run.py')}` (via `make bench`)",
        f"- Date: {results.get('started_at')} → {results.get('finished_at')} ({_fmt(results.get('duration_s'))} s)",
        f"- Machine: {m.get('cores')} cores, {m.get('memory_gib')} GiB, {m.get('cpu', '?')}, Linux {m.get('kernel')}",
        f"- Python {m.get('python')}, Django {m.get('django')}, gunicorn {m.get('gunicorn')}, "
        f"PostgreSQL {m.get('postgresql')}, Redis {m.get('redis')}, {m.get('wrk')}",
        f"- Load: wrk, {results['options']['connections']} connections, {results['options']['seconds']:g} s per page "
        f"after {results['options']['warmup']:g} s of warm-up; gunicorn {results['options']['web_workers']} gthread "
        f"workers × {results['options']['threads']} threads for the floor, Pond and the registry alike",
        "",
        "Ratios are to the floor (a bare Django JSON view) measured in the same pass: "
        "latency ×floor (lower is better), throughput as a fraction of the floor's (higher is better).",
        "",
    ]
    if results.get("error"):
        lines += [f"**The run failed:** {results['error']}", ""]
    if results.get("interrupted"):
        lines += ["**The run was interrupted; figures are partial.**", ""]
    targets = results.get("targets", [])
    if targets:
        passed = sum(1 for t in targets if t["ok"] is True)
        missed = [t for t in targets if t["ok"] is False]
        unmeasured = sum(1 for t in targets if t["ok"] is None)
        lines += ["## Targets", "", f"{passed} met, {len(missed)} missed, {unmeasured} not measured.", "",
                  "| Target | Pass | Measured | Limit | Verdict |", "|---|---|---|---|---|"]
        for t in targets:
            verdict = {True: "pass", False: f"**miss**: {t['miss']}", None: t["miss"]}[t["ok"]]
            lines.append(f"| {t['what']} | {t['pass']} | {_fmt(t['measured'], 2)} {t['unit']} | "
                         f"{_fmt(t['limit'], 2)} {t['unit']} | {verdict} |")
        lines.append("")
    for name, p in results.get("passes", {}).items():
        lines += _pass_markdown(name, p)
    return "\n".join(lines) + "\n"


def _mixed_markdown(m: dict[str, Any], pass_floor: dict[str, float] | None) -> list[str]:
    if not m:
        return []
    run = m.get("run") or {}
    floor = page_floor(m, pass_floor) or {}
    lines = [f"Mixed browsing workload: {m.get('people')} logged-in people, no think time, "
             f"{_fmt(m.get('seconds'))} s (bench/mixed.py; the mix: "
             + ", ".join(f"{k} {v:,}" for k, v in (m.get("mix") or {}).items()) + " of the planned requests).", ""]
    if m.get("error") or run.get("error"):
        return lines + [f"Not measured: {m.get('error') or run.get('error')}", ""]
    lines += [
        f"Overall: {_fmt(run.get('rps'), 0)} req/s ({_ratio(run.get('rps'), floor.get('rps'))} of the floor's "
        f"{_fmt(floor.get('rps'), 0)} req/s sampled just before), p50 {_fmt(run.get('p50_ms'), 1)} ms "
        f"({_ratio(run.get('p50_ms'), floor.get('p50_ms'))} floor), p95 {_fmt(run.get('p95_ms'), 1)} ms, "
        f"p99 {_fmt(run.get('p99_ms'), 1)} ms, {run.get('requests', 0):,} views, "
        f"{run.get('status_errors', 0) + run.get('socket_errors', 0):,} errors; upstream calls per view "
        f"{_fmt(m.get('upstream_per_view'), 3)}.",
        "",
        "Per page kind (Pond's own request time, from its access log):",
        "",
        "| Kind | views | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|",
    ]
    for kind, k in (m.get("kinds") or {}).items():
        lines.append(f"| {kind} | {k['n']:,} | {_fmt(k['p50_ms'])} | {_fmt(k['p95_ms'])} | {_fmt(k['p99_ms'])} | "
                     f"{k['errors']:,} |")
    return lines + [""]


def _pass_markdown(name: str, p: dict[str, Any]) -> list[str]:
    s = p.get("sizes", {})
    floor = floor_of(p)
    lines = [
        f"## Pass `{name}`: {s.get('models', 0):,} models, {s.get('models', 0) * s.get('versions_per_model', 0):,} "
        f"versions, {s.get('experiments', 0):,} experiments, {s.get('deployments', 0):,} deployments "
        f"({p.get('database', '?')})",
        "",
    ]
    if p.get("setup_errors"):
        lines += ["Setup problems (measured anyway):", ""] + [f"- {e.splitlines()[0][:300]}" for e in p["setup_errors"]] + [""]
    t = p.get("timings", {})
    if p.get("loadavg_start") or p.get("loadavg_end"):
        lines += [f"Load average (1/5/15 min) at the start of the pass: {p.get('loadavg_start')}, at the end: "
                  f"{p.get('loadavg_end')} — on {os.cpu_count()} cores; anything well above that means other work "
                  "shared the machine during the run.", ""]
    lines += [f"Setup: migrate {_fmt(t.get('migrate_s'))} s, seed registry {_fmt(t.get('seed_registry_s'))} s, "
              f"users + status history {_fmt(t.get('seed_history_s'))} s; whole pass {_fmt(t.get('pass_total_s'))} s.", ""]
    if floor:
        lines += [f"Floor: {floor['rps']:,.0f} req/s, median {floor['p50_ms']:.2f} ms, p99 {floor['p99_ms']:.2f} ms "
                  f"(mean of {len(p.get('floor', []))} runs: "
                  + ", ".join(f"{f['rps']:,.0f}/s" for f in p.get("floor", [])) + ").", ""]
    lines += [
        "Each page's ratios are to the floor sampled just before it (its req/s in the last column). "
        "*errors warm*: answers ≥ 400 plus wrk's timeouts (10 s) and socket errors.",
        "",
        "| Page | Verdict | req/s | of floor | p50 ms | ×floor | p99 ms | cold ms (median) | upstream ms cold | "
        "upstream calls cold | upstream calls/view warm | errors warm | floor req/s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    pass_floor = floor
    for key, page in p.get("pages", {}).items():
        floor = page_floor(page, pass_floor)
        warm = page.get("warm") or {}
        if warm and not warm.get("requests"):
            # Nothing completed: wrk's zeros are not latencies.
            warm = {**warm, "rps": None, "p50_ms": None, "p99_ms": None, "upstream_per_view": None}
        cold = page.get("cold") or []
        cold_ms = statistics.median(c["ms"] for c in cold) if cold else None
        up_ms = statistics.median(c["upstream_ms"] for c in cold) if cold else None
        up_calls = statistics.median(c["upstream_calls"] for c in cold) if cold else None
        lines.append(
            f"| {PAGE_NAMES.get(key, key)} | {page.get('verdict')} | {_fmt(warm.get('rps'), 0)} | "
            f"{_ratio(warm.get('rps'), (floor or {}).get('rps'))} | {_fmt(warm.get('p50_ms'), 2)} | "
            f"{_ratio(warm.get('p50_ms'), (floor or {}).get('p50_ms'))} | {_fmt(warm.get('p99_ms'), 2)} | "
            f"{_fmt(cold_ms)} | {_fmt(up_ms)} | {_fmt(up_calls, 0)} | {_fmt(warm.get('upstream_per_view'), 3)} | "
            f"{_fmt(warm.get('status_errors', 0) + warm.get('errors', 0)) if warm else '–'} | "
            f"{_fmt((page.get('floor') or {}).get('rps'), 0)} |"
        )
    lines.append("")
    lines += _mixed_markdown(p.get("mixed") or {}, pass_floor)
    reg = p.get("registry", {})
    floor = page_floor(reg, pass_floor)
    if reg:
        lines += [f"Registry (the upstream, hit directly, before Pond started; floor beside it "
                  f"{_fmt((floor or {}).get('rps'), 0)} req/s):", ""]
        for key, r in reg.items():
            if key == "floor":
                continue
            w = r.get("warm") or {}
            lines.append(f"- {key} `{r.get('url')}`: {r.get('verdict')}; {_fmt(w.get('rps'), 0)} req/s "
                         f"({_ratio(w.get('rps'), (floor or {}).get('rps'))} of floor), median {_fmt(w.get('p50_ms'), 2)} ms, "
                         f"p99 {_fmt(w.get('p99_ms'), 2)} ms")
        lines.append("")
    distinct = p.get("search_distinct") or {}
    if distinct.get("warm"):
        w = distinct["warm"]
        lines += [f"Models page, a different search on every request ({distinct.get('terms')} terms such as "
                  f"`demand-forecaster-01`, so each page is built afresh, not served from the page cache): "
                  f"{_fmt(w.get('rps'), 0)} req/s ({_ratio(w.get('rps'), (distinct.get('floor') or {}).get('rps'))} "
                  f"of floor), median {_fmt(w.get('p50_ms'), 2)} ms, p99 {_fmt(w.get('p99_ms'), 2)} ms, "
                  f"upstream calls {w.get('upstream_calls')}, errors {w.get('status_errors', 0) + w.get('errors', 0)}.", ""]
    change = p.get("status_change", {})
    if change:
        sec = change.get("seconds") or {}
        lines += [f"Status change → `/status.json` (poll interval {change.get('poll_interval_s')} s): {change.get('verdict')}; "
                  f"{sec.get('n', 0)} changes, median {_fmt(sec.get('median'), 2)} s, worst {_fmt(sec.get('max'), 2)} s, "
                  f"not seen in time: {change.get('missed', 0)}. Confirmed (the poller's second sighting): median "
                  f"{_fmt((change.get('confirmed_seconds') or {}).get('median'), 2)} s; each next change waits for the "
                  "previous one's confirmation, then a random 0–interval delay. Deployments by status before: "
                  f"{change.get('by_status_before')} (anything deploying or unconfirmed keeps the poller on "
                  "its fast interval).", ""]
    poller = p.get("poller", {})
    if poller:
        task = poller.get("task_seconds") or {}
        cat = poller.get("catalog_refresh_seconds") or {}
        lines += [f"Poller cycle at {s.get('deployments', 0):,} deployments: task runs that polled: {task.get('n', 0)}, "
                  f"median {_fmt(task.get('median'), 2)} s, worst {_fmt(task.get('max'), 2)} s (last cycle as the "
                  f"poller recorded it: {_fmt(poller.get('last_cycle_seconds'), 2)} s). Catalog refreshes: "
                  f"{cat.get('n', 0)}, median {_fmt(cat.get('median'), 2)} s.", ""]
    prof = p.get("profile")
    if prof:
        lines += [f"Profile of the {prof.get('page')} (py-spy on every web worker under that load): "
                  f"{prof.get('verdict')}" + (f", {prof.get('samples', 0):,} samples." if prof.get("samples") else "."), ""]
        if prof.get("kinds"):
            lines += ["Time by kind of work (innermost recognised frame): " + ", ".join(
                f"{k['kind']} {k['share'] * 100:.0f}%" for k in prof["kinds"]) + ".", ""]
        if prof.get("inclusive"):
            lines += ["| Share of samples (inclusive) | Pond's function |", "|---|---|"]
            lines += [f"| {r['share'] * 100:.0f}% | `{r['function']}` |" for r in prof["inclusive"]]
            lines += ["", "| Share of samples (self) | Function |", "|---|---|"]
            lines += [f"| {r['share'] * 100:.0f}% | `{r['function']}` |" for r in prof["self"]]
            lines.append("")
    mem = p.get("memory_mib", {})
    if mem:
        lines += ["Peak memory (VmHWM): " + "; ".join(
            f"{k}: largest process {_fmt(v.get('max_mib'))} MiB, {v.get('processes')} processes {_fmt(v.get('sum_mib'))} MiB"
            for k, v in mem.items()) + ".", ""]
    return lines


def write(results: dict[str, Any], json_path: Path, md_path: Path) -> None:
    json_path.write_text(json.dumps(results, indent=2, sort_keys=False, default=str) + "\n")
    md_path.write_text(markdown(results))


def summary(results: dict[str, Any]) -> str:
    targets = results.get("targets", [])
    missed = [t for t in targets if t["ok"] is False]
    lines = [f"targets: {sum(1 for t in targets if t['ok'])} met, {len(missed)} missed, "
             f"{sum(1 for t in targets if t['ok'] is None)} not measured"]
    lines += [f"  MISS {t['what']}: {t['miss']}" for t in missed]
    return "\n".join(lines)
