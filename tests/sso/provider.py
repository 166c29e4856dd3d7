"""A real OpenID Connect provider process for the SSO tests, and a person signing in through it.

The provider is panva's oidc-provider (OpenID Certified) run with node from
tests/support/oidc_provider/ (its package-lock.json pins every package). `npm ci`
installs it there the first time (under a lock, so pytest-xdist workers install it
once); node and npm missing, or npm unable to fetch, skips the SSO tests saying so,
except in CI (CI=true), where it fails.

People live in a JSON file the provider reads at every look-up, so a test changes
someone's groups between two sign-ins with `provider.person(...)`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import html
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

from tests.conftest import IN_CI

PROJECT = Path(__file__).resolve().parents[1] / "support" / "oidc_provider"
CLIENT_ID = "pond"
CLIENT_SECRET = "pond-test-client-secret"
# oidc-provider 8 runs on the Node.js LTS releases from 18.12 on (Debian 12 ships 18.20).
NODE_MINIMUM = (18, 12)


def _unavailable(message: str) -> None:
    if IN_CI:
        pytest.fail(f"{message}; CI must have it (the SSO tests install the provider with npm ci)")
    pytest.skip(message)


def _node_version(node: str) -> tuple[int, ...]:
    out = subprocess.run(
        [node, "--version"], capture_output=True, text=True, timeout=30
    ).stdout.strip()
    return tuple(int(part) for part in re.findall(r"\d+", out)[:3])


def provider_installed() -> str:
    """The node executable, with the provider's packages installed; skips (fails in CI) if impossible."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        _unavailable(
            "node and npm are not installed: the SSO tests run a real OpenID Connect provider with node"
        )
    version = _node_version(node)
    if version[:2] < NODE_MINIMUM:
        _unavailable(
            f"node {'.'.join(map(str, version))} is too old for oidc-provider 8 (needs >= 18.12)"
        )
    lock = PROJECT / "package-lock.json"
    wanted = hashlib.sha256(lock.read_bytes()).hexdigest()
    stamp = PROJECT / "node_modules" / ".pond-installed"
    with open(Path(tempfile.gettempdir()) / "pond-oidc-provider-npm.lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)  # one npm ci at a time, across xdist workers
        if not (stamp.exists() and stamp.read_text() == wanted):
            done = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=PROJECT,
                capture_output=True,
                text=True,
                timeout=600,
            )
            if done.returncode != 0:
                _unavailable(
                    f"npm ci could not install the OpenID Connect provider: {done.stderr.strip()[-800:]}"
                )
            stamp.write_text(wanted)
    return node


class Provider:
    """One provider process on loopback, with Pond registered as its client."""

    def __init__(self, node: str, workdir: Path, pond_url: str) -> None:
        self.node = node
        self.workdir = workdir
        self.pond_url = pond_url.rstrip("/")
        self.accounts_file = workdir / "accounts.json"
        self.accounts_file.write_text("{}")
        self.config_file = workdir / "provider.json"
        self.config_file.write_text(
            json.dumps(
                {
                    "accountsFile": str(self.accounts_file),
                    "clients": [
                        {
                            "client_id": CLIENT_ID,
                            "client_secret": CLIENT_SECRET,
                            "redirect_uris": [f"{self.pond_url}/accounts/oidc/callback/"],
                            "post_logout_redirect_uris": [f"{self.pond_url}/accounts/login/"],
                        }
                    ],
                }
            )
        )
        self.process: subprocess.Popen | None = None
        self.issuer = ""

    def start(self) -> Provider:
        log = open(self.workdir / "provider.log", "ab")  # noqa: SIM115 - the process keeps it
        self.process = subprocess.Popen(
            [self.node, str(PROJECT / "server.js"), str(self.config_file)],
            cwd=PROJECT,
            stdout=subprocess.PIPE,
            stderr=log,
        )
        log.close()
        ready, _, _ = select.select([self.process.stdout], [], [], 30)
        line = self.process.stdout.readline() if ready else b""
        if not line:
            self.stop()
            raise RuntimeError(
                f"the provider did not start: {(self.workdir / 'provider.log').read_text()[-2000:]}"
            )
        self.issuer = json.loads(line)["issuer"]
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        if self.process.stdout:
            self.process.stdout.close()
        self.process = None

    def person(self, login: str, *, groups: list[str], **claims: object) -> None:
        """Add or change someone (their next sign-in sees it). `login` is also their `sub`."""
        people = json.loads(self.accounts_file.read_text())
        person = {
            "preferred_username": login,
            "email": f"{login}@example.com",
            "email_verified": True,
            "groups": groups,
            **claims,
        }
        people[login] = person
        draft = self.accounts_file.with_suffix(".tmp")
        draft.write_text(json.dumps(people))
        os.replace(draft, self.accounts_file)  # never a half-written file for the provider


# --- a person in a browser, played with requests ---------------------------------------

_FORM = re.compile(r"<form[^>]*action=\"([^\"]+)\"[^>]*>(.*?)</form>", re.S)
_HIDDEN = re.compile(
    r"<input[^>]*type=\"hidden\"[^>]*name=\"([^\"]+)\"[^>]*value=\"([^\"]*)\"", re.S
)


def provider_form(page: requests.Response) -> tuple[str, dict[str, str]]:
    """The first form of one of the provider's pages: its absolute action and hidden fields."""
    match = _FORM.search(page.text)
    assert match, f"no form on {page.url}: {page.text[:500]}"
    fields = {name: html.unescape(value) for name, value in _HIDDEN.findall(match.group(2))}
    return urljoin(page.url, html.unescape(match.group(1))), fields


def to_callback(browser: requests.Session, pond_url: str, login: str, *, start: str = "") -> str:
    """Start a sign-in at Pond and go through the provider (its sign-in form when it
    asks) up to the moment it sends the browser back: the callback URL, not yet opened."""
    url = start or f"{pond_url}/accounts/oidc/start/"
    callback = f"{pond_url}/accounts/oidc/callback/"
    for _ in range(20):
        if url.startswith(callback):
            return url
        resp = browser.get(url, allow_redirects=False, timeout=15)
        if resp.is_redirect:
            url = urljoin(resp.url, resp.headers["Location"])
            continue
        assert resp.status_code == 200, f"{resp.status_code} at {resp.url}: {resp.text[:500]}"
        action, fields = provider_form(resp)
        assert fields.get("prompt") == "login", f"unexpected page at {resp.url}: {resp.text[:500]}"
        resp = browser.post(
            action,
            data={**fields, "login": login, "password": "any"},
            allow_redirects=False,
            timeout=15,
        )
        assert resp.is_redirect, (
            f"{resp.status_code} after signing in at the provider: {resp.text[:500]}"
        )
        url = urljoin(resp.url, resp.headers["Location"])
    raise AssertionError(f"no way back to Pond from {url}")


def sign_in(
    browser: requests.Session, pond_url: str, login: str, *, start: str = ""
) -> requests.Response:
    """The whole sign-in: Pond's answer to the provider's redirect back (not followed)."""
    return browser.get(
        to_callback(browser, pond_url, login, start=start), allow_redirects=False, timeout=30
    )


def pond_csrf(browser: requests.Session, pond_url: str) -> str:
    """Pond's CSRF token for this browser (the provider sets no cookie of that name)."""
    browser.get(f"{pond_url}/accounts/login/", timeout=15)
    return next(cookie.value for cookie in browser.cookies if cookie.name == "csrftoken")


@contextlib.contextmanager
def timed() -> object:
    """`with timed() as t: ...; t.seconds`."""

    class Took:
        seconds = 0.0

    took = Took()
    started = time.monotonic()
    try:
        yield took
    finally:
        took.seconds = time.monotonic() - started
