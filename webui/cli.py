"""`pond`: Pond's API from a terminal or a CI job.

    pond login --url https://pond.example.com        # asks for a token made on /accounts/tokens/
    pond promote MODEL_ID VERSION_ID --to production --note "Better AUC" --wait
    pond review 42 --wait
    pond status [MODEL_ID]                            # exit 1 when a deployment shown is failing
    pond ledger MODEL                                 # promotions and activity, newest first

Where it connects: --url/--token, else POND_URL/POND_TOKEN, else what `pond login`
saved (POND_CONFIG, default ~/.config/pond/config.json, readable by you alone).

Exit status: 0 done (promote --wait: approved and applied); 1 a deployment is failing
(status) or the request was rejected, withdrawn or failed (promote/review --wait);
2 Pond refused or could not be reached (the message says why); 3 still undecided
when --timeout ran out.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

import requests

OK, FAILING, ERROR, TIMED_OUT = 0, 1, 2, 3
APPROVED = "approved"


class CliError(Exception):
    pass


def out(text: str, *, err: bool = False) -> None:
    """Print `text` as plain characters: names come from JFrog ML and Pond's users, and an
    escape sequence or a right-to-left override in one must not drive the terminal."""
    shown = "".join(
        c if c == "\n" or not unicodedata.category(c).startswith("C") else "\ufffd" for c in str(text)
    )
    print(shown, file=sys.stderr if err else sys.stdout)


def config_path() -> Path:
    if os.environ.get("POND_CONFIG"):
        return Path(os.environ["POND_CONFIG"])
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "pond" / "config.json"


def _saved() -> dict[str, str]:
    try:
        data = json.loads(config_path().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save(url: str, token: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"url": url, "token": token}, f)
    os.chmod(path, 0o600)
    return path


class Pond:
    def __init__(self, url: str, token: str, *, timeout: float = 30.0) -> None:
        if not url:
            raise CliError("Which Pond? Give --url, set POND_URL, or run `pond login` first.")
        if not token:
            raise CliError("No token: make one on Pond's /accounts/tokens/ page, then `pond login` or set POND_TOKEN.")
        self.base = url.rstrip("/") + "/api/v1"
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json"})

    def call(self, method: str, path: str, *, params: dict | None = None, body: dict | None = None,
             timeout: float | None = None) -> Any:
        try:
            resp = self.session.request(
                method, self.base + path, params=params, json=body, timeout=timeout or self.timeout
            )
        except requests.RequestException as exc:
            raise CliError(f"Could not reach Pond at {self.base}: {exc.__class__.__name__}.") from None
        try:
            data = resp.json()
        except ValueError:
            raise CliError(f"Pond answered {resp.status_code} without JSON: is {self.base} Pond's address?") from None
        if resp.status_code >= 400:
            error = data.get("error", {}) if isinstance(data, dict) else {}
            message = error.get("message") or f"Pond answered {resp.status_code}."
            fields = error.get("fields") or {}
            details = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in fields.items())
            raise CliError(message + (f" ({details})" if details else ""))
        return data


def _connect(args: argparse.Namespace) -> Pond:
    saved = _saved()
    url = getattr(args, "url", None) or os.environ.get("POND_URL") or saved.get("url", "")
    token = getattr(args, "token", None) or os.environ.get("POND_TOKEN") or saved.get("token", "")
    return Pond(url, token)


def _say(review: dict[str, Any]) -> str:
    line = (
        f"Review #{review['id']}: {review['model_name'] or review['model_id']} {review['version_label'] or review['version_id']} "
        f"{review['from_status']} → {review['to_status']}: {review['state']}"
    )
    if review.get("decided_by_name"):
        line += f" by {review['decided_by_name']}"
    if review.get("decision_comment"):
        line += f" — {review['decision_comment']}"
    return line + f"\n  {review['url']}"


def _wait(pond: Pond, review_id: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        review = pond.call("GET", f"/reviews/{review_id}", params={"wait": max(0.0, min(left, 50.0))}, timeout=70)
        if review["decided"]:
            out(_say(review))
            return OK if review["state"] == APPROVED else FAILING
        if time.monotonic() >= deadline:
            out(_say(review))
            out(f"Still undecided after {timeout:g} s.", err=True)
            return TIMED_OUT


def cmd_login(args: argparse.Namespace) -> int:
    url = getattr(args, "url", None) or os.environ.get("POND_URL") or input("Pond's URL: ").strip()
    token = (
        getattr(args, "token", None)
        or os.environ.get("POND_TOKEN")
        or getpass.getpass("API token (from /accounts/tokens/): ").strip()
    )
    me = Pond(url, token).call("GET", "/me")
    path = _save(url, token)
    out(f"Logged in to {url} as {me['username']} ({me['role']}); saved in {path}.")
    return OK


def cmd_promote(args: argparse.Namespace) -> int:
    pond = _connect(args)
    review = pond.call(
        "POST",
        "/reviews",
        body={
            "model_id": args.model,
            "version_id": args.version,
            "to_status": args.to,
            "note": args.note,
            "archive_current": not args.keep_current,
            "deploy": args.deploy,
        },
    )
    out(_say(review))
    return _wait(pond, review["id"], args.timeout) if args.wait else OK


def cmd_review(args: argparse.Namespace) -> int:
    pond = _connect(args)
    if args.wait:
        return _wait(pond, args.id, args.timeout)
    review = pond.call("GET", f"/reviews/{args.id}")
    out(_say(review))
    return OK


def cmd_status(args: argparse.Namespace) -> int:
    data = _connect(args).call("GET", "/deployments")
    shown = [d for d in data["deployments"] if not args.model or args.model in (d["model_id"], d["model_name"])]
    if args.model and not shown:
        out(f"No deployment of {args.model}.")
    for d in shown:
        mark = "FAILING" if d["problem"] else "ok"
        out(f"{mark:8} {d['status']:10} {d['name']}  ({d['model_name']} {d['version']})  since {d['since'] or '?'}")
    if data["stale"]:
        out(f"Statuses may be out of date: last checked {data['checked_at'] or 'never'}.", err=True)
    return FAILING if any(d["problem"] for d in shown) else OK


def cmd_ledger(args: argparse.Namespace) -> int:
    data = _connect(args).call("GET", "/events", params={"model": args.model, "limit": args.limit})
    for e in data["results"]:
        what = f"{e['from_status']} → {e['to_status']}" if e["to_status"] else e["object_kind"]
        subject = e["version_label"] or e["object_name"] or e["object_id"]
        out(f"{e['when']}  {e['who']:12} {e['event']:10} {e['model_name'] or e['model_id']} {subject}  {what}"
              + (f"  “{e['comment']}”" if e["comment"] else ""))
    return OK


def parser() -> argparse.ArgumentParser:
    # --url and --token go before or after the command (`pond login --url …`).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", default=argparse.SUPPRESS,
                        help="Pond's address, e.g. https://pond.example.com (else POND_URL, else saved)")
    common.add_argument("--token", default=argparse.SUPPRESS, help="a personal API token (else POND_TOKEN, else saved)")
    root = argparse.ArgumentParser(
        prog="pond", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter, parents=[common]
    )
    commands = root.add_subparsers(dest="command", required=True)

    login = commands.add_parser("login", parents=[common], help="check and save Pond's URL and your token")
    login.set_defaults(run=cmd_login)

    promote = commands.add_parser("promote", parents=[common], help="ask for a version to move to another status")
    promote.add_argument("model", help="the model's id")
    promote.add_argument("version", help="the version's id")
    promote.add_argument("--to", required=True, choices=["staging", "production", "archived"], help="the status asked for")
    promote.add_argument("--note", required=True, help="why: reviewers read it")
    promote.add_argument("--deploy", action="store_true", help="production only: deploy it once approved")
    promote.add_argument("--keep-current", action="store_true", help="production only: do not archive what is production now")
    promote.add_argument("--wait", action="store_true", help="block until a reviewer decides (exit 0 only if approved)")
    promote.add_argument("--timeout", type=float, default=3600, help="seconds --wait waits at most (default 3600)")
    promote.set_defaults(run=cmd_promote)

    review = commands.add_parser("review", parents=[common], help="show a promotion request, or wait for its decision")
    review.add_argument("id", type=int)
    review.add_argument("--wait", action="store_true", help="block until it is decided (exit 0 only if approved)")
    review.add_argument("--timeout", type=float, default=3600, help="seconds --wait waits at most (default 3600)")
    review.set_defaults(run=cmd_review)

    status = commands.add_parser("status", parents=[common], help="deployment statuses; exit 1 when one shown is failing")
    status.add_argument("model", nargs="?", help="only this model's deployments (id or name)")
    status.set_defaults(run=cmd_status)

    ledger = commands.add_parser("ledger", parents=[common], help="a model's promotions and activity, newest first")
    ledger.add_argument("model", help="part of the model's id or name")
    ledger.add_argument("--limit", type=int, default=50)
    ledger.set_defaults(run=cmd_ledger)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except CliError as exc:
        out(f"pond: {exc}", err=True)
        return ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

