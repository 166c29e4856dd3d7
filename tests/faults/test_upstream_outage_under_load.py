"""Drills against a real Pond server (gunicorn, threaded) under steady page load,
whose JFROG_ML_URL points at a real misbehaving server.

- Hung upstream (accepts, never answers) for longer than the budget: no 5xx, every
  answer within the page budget, pages show the cached data with its age.
- Upstream answering 503 for several breaker reset windows: the same, and the
  circuit opens so that upstream sees almost nothing (one trial per window) until
  it recovers; then pages are fresh again.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.dashboard.fake_upstream import serve_world, simple_world
from tests.faults.conftest import PAGES, PASSWORD
from tests.faults.load import run_load, summary
from tests.faults.pond_server import drill_env, pond_server
from tests.support.faultserver import hang, status

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

# Client budget: connect 0.3 + 2 x read 0.5 = 1.3 s; a page may wait once for another
# request's fill (budget + 1 s) before serving stale. Anything near this is a hang.
PAGE_BUDGET = 4.0
CLIENT_BUDGET = 0.3 + 2 * 0.5  # drill_env's connect + 2 x read timeouts
BREAKER_RESET = 1.0
BREAKER_THRESHOLD = 3


def _warm(session, base: str) -> None:
    for url in PAGES:
        resp = session.get(base + url, timeout=10)
        assert resp.status_code == 200, (url, resp.status_code)
        assert 'data-testid="stale-banner"' not in resp.text, url


def _assert_pages_held(answers, pond) -> None:
    assert answers, "no load was generated"
    bad = [a for a in answers if a.status != 200]
    assert not bad, f"{summary(answers)}; first bad: {bad[:3]}\n{pond.log()[-2000:]}"
    slow = [a for a in answers if a.seconds > PAGE_BUDGET]
    assert not slow, f"{summary(answers)}; over budget: {slow[:3]}"


def test_a_hung_upstream_under_load_costs_no_5xx_and_no_page_over_budget(upstream, bob, tmp_path):
    env = drill_env(upstream=upstream.url, tmp_path=tmp_path)
    with pond_server(env=env, tmp_path=tmp_path) as pond:
        session = pond.login("bob", PASSWORD)
        _warm(session, pond.url)
        upstream.on(None, None, hang)
        hung_at = time.monotonic()
        time.sleep(0.3)  # every cached entry is now past its TTL
        answers = run_load(session, pond.url, PAGES, seconds=4.0, threads=4)
        _assert_pages_held(answers, pond)
        # Every page shows the last good data with its age...
        assert all(a.freshness.startswith("Data ") for a in answers), [a for a in answers if not a.freshness][:3]
        # ...and, once one client budget has passed (a list served stale-while-revalidate
        # does not know of the outage before its background refetch fails), says it is stale.
        late = [a for a in answers if a.at > hung_at + CLIENT_BUDGET + 0.5]
        assert late and all(a.stale for a in late), [(a.url, a.freshness) for a in late if not a.stale]
        page = session.get(pond.url + "/models/mdl_1/", timeout=10).text
        assert "ok-model" in page and 'class="freshness stale"' in page and "Data " in page


def test_a_503_upstream_trips_the_breaker_so_it_sees_one_trial_per_window_then_recovers(upstream, bob, tmp_path):
    env = drill_env(
        upstream=upstream.url,
        tmp_path=tmp_path,
        extra={"JFROG_ML_BREAKER_RESET": str(BREAKER_RESET), "JFROG_ML_BREAKER_THRESHOLD": str(BREAKER_THRESHOLD)},
    )
    with pond_server(env=env, tmp_path=tmp_path) as pond:
        session = pond.login("bob", PASSWORD)
        _warm(session, pond.url)
        outage_rule = status(503)
        upstream.on(None, None, outage_rule)
        time.sleep(0.3)
        outage_started = time.monotonic()
        answers = run_load(session, pond.url, PAGES, seconds=4 * BREAKER_RESET + 0.5, threads=4)
        outage_ended = time.monotonic()
        _assert_pages_held(answers, pond)
        assert all(a.freshness.startswith("Data ") for a in answers), [a for a in answers if not a.freshness][:3]
        late = [a for a in answers if a.at > outage_started + CLIENT_BUDGET + 0.5]
        assert late and all(a.stale for a in late), [(a.url, a.freshness) for a in late if not a.stale]

        during = sorted(
            (r for r in upstream.requests if outage_started <= r.at <= outage_ended), key=lambda r: r.at
        )
        # Without a breaker every one of these page loads would have cost upstream calls.
        assert len(answers) > 10 * len(during) or len(answers) > 100, (len(answers), len(during))
        # What the breaker promises is about the calls it *admits*: once open, one trial
        # per reset window. Calls admitted while it was still closed may reach the
        # upstream after it opened (they were in flight); they are not trials and say
        # nothing about the breaker. Each call is attributed by its X-Request-ID to the
        # line Pond's client logged for it, which says how the breaker admitted it.
        admitted = dict(re.findall(r"request_id=(\w+) attempt=\d+ purpose=\S* breaker=(\w+)", pond.log()))
        calls = [(round(r.at - outage_started, 3), admitted.get(r.headers.get("X-Request-ID"), "?")) for r in during]
        opened_at = during[BREAKER_THRESHOLD - 1].at if len(during) >= BREAKER_THRESHOLD else outage_started
        windows = (outage_ended - opened_at) / BREAKER_RESET
        trials = [at for at, how in calls if how == "trial"]
        assert "?" not in dict(calls).values(), calls
        assert len(trials) <= windows + 1, (len(trials), windows, calls)
        # A call admitted as "closed" after the first trial would mean the circuit
        # closed during the outage.
        first_trial = trials[0] if trials else float("inf")
        assert all(at < first_trial for at, how in calls if how == "closed"), calls

        # Recovery: the next trial succeeds, the circuit closes, pages are fresh again.
        # Newer rules win: the world answers again, with no gap of 404s in between.
        serve_world(upstream, **simple_world(name="recovered-model"))
        deadline = time.monotonic() + BREAKER_RESET + 3
        while time.monotonic() < deadline:
            page = session.get(pond.url + "/models/mdl_1/", timeout=10)
            assert page.status_code == 200
            if "recovered-model" in page.text and 'data-testid="stale-banner"' not in page.text:
                break
            time.sleep(0.2)
        else:
            raise AssertionError("pages did not become fresh after the upstream recovered")
