"""Take the README's screenshots of Pond serving its demo data (`make screenshots`).

Seeds a throwaway var dir exactly as `make run` does, serves it with run_pond,
logs in as the demo engineer in Debian's Chromium and saves full-page PNGs of the
main pages to docs/screenshots/, and of the status page light, dark and at phone width
(390x844): status-light.png, status-dark.png, status-phone.png.

`python docs/screenshots.py status` takes only the status page's three.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("POND_CHROMIUM", "/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _status_shots(browser, signed_in, base: str) -> None:
    """The status page as the system's light and dark themes show it, and on a phone."""
    shots = {
        "status-light": {"color_scheme": "light"},
        "status-dark": {"color_scheme": "dark"},
        "status-phone": {"color_scheme": "light", "viewport": {"width": 390, "height": 844}, "is_mobile": True},
    }
    for name, options in shots.items():
        context = browser.new_context(
            storage_state=signed_in.storage_state(), **{"viewport": {"width": 1280, "height": 900}, **options}
        )
        page = context.new_page()
        page.goto(f"{base}/status/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
        context.close()


def _incident_shot(page, base: str) -> None:
    """An incident as the team writes it: the engineer posts two updates through its
    page (the demo's history has incidents; the newest is taken), then incident.png."""
    page.goto(f"{base}/status/")
    link = page.locator("[data-testid=incident-link]").first
    if not link.count():
        print("no incident in the demo data: incident.png not taken")
        return
    link.click()
    page.wait_for_load_state("networkidle")
    for state, text in (
        ("investigating", "Pods restarting since the rollout; looking at the new build's memory use."),
        ("identified", "The new image requests half the memory it needs: pods are OOM-killed under load. Raising the limit."),
    ):
        form = page.locator("[data-testid=update-form]")
        if not form.count():
            break
        form.locator("#id_state").select_option(state)
        form.locator("#id_text").fill(text)
        form.locator("button[type=submit]").click()
        page.wait_for_load_state("networkidle")
    page.screenshot(path=str(OUT / "incident.png"), full_page=True)


def main(only: str = "") -> None:
    var = Path(tempfile.mkdtemp(prefix="pond-shots-"))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "POND_", "JFROG_ML_"))}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.update(POND_VAR_DIR=str(var), PORT=str(port), REGISTRY_DEPLOY_DELAY="1")
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*manage, "seed_demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    server = subprocess.Popen([*manage, "run_pond"], cwd=ROOT, env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if requests.get(f"{base}/healthz", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        time.sleep(8)  # a few polls, so the status page has fresh status
        OUT.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
            )
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{base}/accounts/login/")
            page.fill("#id_username", "engineer")
            page.fill("#id_password", "pond-demo")
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/")
            _status_shots(browser, page.context, base)
            _incident_shot(page, base)
            if only == "status":
                browser.close()
                print(f"status screenshots written to {OUT}")
                return
            shots = {"overview": "/", "models": "/models/", "deployments": "/deployments/",
                     "status": "/status/", "insights-production-truth": "/insights/production/"}
            for name, path in shots.items():
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
            page.goto(f"{base}/models/")
            page.locator("table a[href^='/models/mdl']").first.click()
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(OUT / "model.png"), full_page=True)
            versions = page.locator("[data-testid=versions-table] a[href*='/versions/']")
            if versions.count():
                versions.first.click()
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(OUT / "version.png"), full_page=True)
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGINT)
        server.wait(timeout=30)
    print(f"screenshots written to {OUT}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
