"""Load generation and measurement: wrk runs, single timed requests, the upstream's log."""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import requests

WRK = "/usr/bin/wrk"
LUA = Path(__file__).resolve().parent / "wrk_report.lua"


@dataclass
class WrkResult:
    url: str
    seconds: float
    connections: int
    requests: int = 0
    rps: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    errors: int = 0
    status_errors: int = 0
    error: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def wrk(url: str, *, seconds: float, connections: int, threads: int = 2, headers: dict[str, str] | None = None,
        script: Path | None = None) -> WrkResult:
    """Drive `url` with wrk for `seconds` at a fixed concurrency; latencies come from wrk's histogram.

    `script`: a Lua script of one's own (it must include wrk_report.lua's `done`).
    """
    threads = max(1, min(threads, connections))
    cmd = [WRK, "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
           "--timeout", "10s", "--latency", "-s", str(script or LUA)]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    cmd.append(url)
    result = WrkResult(url=url, seconds=seconds, connections=connections)
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30)
    except subprocess.TimeoutExpired:
        result.error = "wrk did not finish in time"
        return result
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCHJSON ")), None)
    if line is None:
        result.error = f"wrk failed: {(done.stdout + done.stderr).strip()[-500:]}"
        return result
    data = json.loads(line.removeprefix("BENCHJSON "))
    duration = max(data["duration_us"] / 1e6, 1e-9)
    result.requests = data["requests"]
    result.rps = round(data["requests"] / duration, 1)
    result.p50_ms = round(data["p50_us"] / 1000, 2)
    result.p90_ms = round(data["p90_us"] / 1000, 2)
    result.p99_ms = round(data["p99_us"] / 1000, 2)
    result.max_ms = round(data["max_us"] / 1000, 2)
    result.errors = data["connect_errors"] + data["read_errors"] + data["write_errors"] + data["timeouts"]
    result.status_errors = data["status_errors"]
    return result


@dataclass
class Probe:
    """One plain GET: whether a page exists and works, before loading it."""

    status: int | None
    seconds: float
    error: str = ""
    body: bytes = b""
    location: str = ""
    timeout: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def verdict(self) -> str:
        if self.status is None and "Timeout" in self.error:
            return f"error (no answer within {self.timeout:g} s)"
        if self.status is None:
            return f"not available ({self.error})"
        if self.status == 404:
            return "not available (404)"
        if 300 <= self.status < 400:
            return f"not available (redirect {self.status} to {self.location or '?'})"
        if not self.ok:
            return f"error (HTTP {self.status})"
        return "ok"


def get(url: str, *, cookies: dict[str, str] | None = None, headers: dict[str, str] | None = None,
        timeout: float = 30.0) -> Probe:
    started = time.perf_counter()
    try:
        resp = requests.get(url, cookies=cookies, headers=headers, timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        return Probe(None, time.perf_counter() - started, error=type(exc).__name__, timeout=timeout)
    return Probe(resp.status_code, time.perf_counter() - started, body=resp.content,
                 location=resp.headers.get("Location", ""))


@dataclass
class LogTail:
    """A growing log file, read from a remembered offset (whole lines only)."""

    path: Path
    offset: int = 0
    _pending: str = field(default="", repr=False)

    def mark(self) -> None:
        self.offset = self.path.stat().st_size if self.path.exists() else 0
        self._pending = ""

    def read_new(self, settle: float = 0.05) -> list[str]:
        """Lines written since the last mark (and moves the mark)."""
        time.sleep(settle)  # a process writes its log line just after answering
        if not self.path.exists():
            return []
        with open(self.path, "rb") as fh:
            fh.seek(self.offset)
            data = fh.read()
        self.offset += len(data)
        lines = (self._pending + data.decode(errors="replace")).split("\n")
        self._pending = lines.pop()  # a line still being written
        return lines


# Pond's client logs one line per upstream request (webui/jfrogml/client.py `_request`):
# "GET /v1/models 200 12.3ms request_id=... attempt=1 purpose=page".
_CLIENT_LINE = re.compile(
    r"\b(GET|POST|PUT|PATCH|DELETE|HEAD) (/\S*) (\S+) ([\d.]+)ms request_id=(\S+) attempt=\d+ purpose=(\w+)"
)


@dataclass
class UpstreamCall:
    method: str
    path: str
    status: str
    ms: float
    request_id: str
    purpose: str


def upstream_calls(lines: list[str]) -> list[UpstreamCall]:
    calls = []
    for line in lines:
        match = _CLIENT_LINE.search(line)
        if match:
            method, path, status, ms, request_id, purpose = match.groups()
            calls.append(UpstreamCall(method, path, status, float(ms), request_id, purpose))
    return calls


def registry_durations(lines: list[str]) -> dict[str, float]:
    """Request id -> milliseconds the registry spent, from its access log ("<id> <status> <us> ...")."""
    out: dict[str, float] = {}
    for line in lines:
        parts = line.split(" ", 3)
        if len(parts) >= 3 and parts[0] != "-" and parts[2].isdigit():
            out[parts[0]] = int(parts[2]) / 1000
    return out


def summarise(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"n": 0, "median": None, "max": None, "min": None}
    return {
        "n": len(values),
        "median": round(statistics.median(values), 2),
        "max": round(max(values), 2),
        "min": round(min(values), 2),
    }


def rotating_paths_script(paths: list[str], out: Path, threads: int = 2) -> Path:
    """A wrk script asking for the next of `paths` on every request, each wrk thread starting
    at its own share of the list (plus the reporter)."""
    quoted = ",\n  ".join(json.dumps(p) for p in paths)
    lua = (
        "local paths = {\n  " + quoted + "\n}\n"
        f"local threads, counter = {max(1, threads)}, 0\n"
        "function setup(thread) thread:set(\"first\", counter); counter = counter + 1 end\n"
        "local next_index = 0\n"
        "function init(args) next_index = math.floor((first or 0) * #paths / threads) end\n"
        "function request()\n"
        "  next_index = next_index % #paths + 1\n"
        "  return wrk.format(\"GET\", paths[next_index])\n"
        "end\n"
        + LUA.read_text()
    )
    out.write_text(lua)
    return out
