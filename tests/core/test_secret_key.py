"""The zero-setup secret key kept in var/ is made readable by its owner only, from the start,
and processes starting together agree on one key."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Started with a umask that lets new files be world-readable (0644), as most services
# are. An audit hook looks at every file named secret_key* in the var dir at each
# auditable action of the interpreter (opens, links, renames, chmods, removes, imports,
# ...) from the moment settings are imported, and reports every mode it saw. This
# does not watch the file between two such actions; what it does show is that no step
# of the creation ever left the file (or a temporary one) readable by others, and in
# particular that the mode is not repaired by a chmod after the key was written.
OBSERVER = r"""
import json, os, stat, sys
os.umask(0o022)
var = os.environ["POND_VAR_DIR"]
seen = []
busy = False

def look(event, args):
    global busy
    if busy:
        return
    busy = True
    try:
        for name in os.listdir(var):
            if name.startswith("secret_key"):
                try:
                    mode = stat.S_IMODE(os.stat(os.path.join(var, name)).st_mode)
                except FileNotFoundError:
                    continue
                seen.append([event, name, oct(mode)])
    finally:
        busy = False

sys.addaudithook(look)
import webui.settings as s
print(json.dumps({"seen": seen, "key_length": len(s.SECRET_KEY)}))
"""

STARTER = r"""
import hashlib, os, sys, time
start_at = float(sys.argv[1])
while time.time() < start_at:
    pass
import webui.settings as s
print(hashlib.sha256(s.SECRET_KEY.encode()).hexdigest())
"""


def _env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "POND_", "JFROG_ML_", "REDIS_URL", "DATABASE_URL"))}
    env.update({"POND_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "webui.settings"})
    return env


def test_the_key_file_is_never_readable_by_others_even_while_it_is_made(tmp_path):
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", OBSERVER], cwd=ROOT, env=_env(var_dir), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["key_length"] >= 50
    assert report["seen"], "the audit hook never saw the key file"
    lax = [entry for entry in report["seen"] if entry[2] != oct(0o600)]
    assert not lax, lax
    key = var_dir / "secret_key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert sorted(p.name for p in var_dir.iterdir() if p.name.startswith("secret_key")) == ["secret_key"]


def test_processes_starting_together_agree_on_one_key(tmp_path):
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    start_at = time.time() + 3.0  # every process is running, and imported Python, by then
    starters = [
        subprocess.Popen(
            [sys.executable, "-c", STARTER, str(start_at)],
            cwd=ROOT, env=_env(var_dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=60) for p in starters]
    assert all(p.returncode == 0 for p in starters), [err for _, err in outputs]
    digests = {out.strip() for out, _ in outputs}
    assert len(digests) == 1, digests
    key = var_dir / "secret_key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert sorted(p.name for p in var_dir.iterdir() if p.name.startswith("secret_key")) == ["secret_key"]


def test_an_existing_key_is_kept(tmp_path):
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    (var_dir / "secret_key").write_text("k" * 60 + "\n")
    result = subprocess.run(
        [sys.executable, "-c", "import webui.settings as s; print(s.SECRET_KEY)"],
        cwd=ROOT, env=_env(var_dir), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "k" * 60
