"""The registry's schemathesis contract tests (tests/registry/test_contract.py) at a
larger example budget than the everyday run: 0 failures.

Run as a separate pytest process with POND_CONTRACT_MAX_EXAMPLES raised (the way
that test is parameterised), in a var dir of its own so that its test database
never meets this run's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
# Everyday runs use 5; this is what fits the security suite's time (~2 min on 2 cores).
SECURITY_MAX_EXAMPLES = os.environ.get("POND_SECURITY_CONTRACT_EXAMPLES", "20")


def test_the_registry_contract_holds_at_a_larger_example_budget(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "POND_VAR_DIR"))}
    env.update(POND_CONTRACT_MAX_EXAMPLES=SECURITY_MAX_EXAMPLES, POND_VAR_DIR=str(tmp_path / "var"))
    if env.get("DATABASE_URL", "").startswith("postgres"):
        # Its own database name, so that pytest-django's test database is its own too.
        env["DATABASE_URL"] = env["DATABASE_URL"].rsplit("/", 1)[0] + "/pond_security_contract"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/registry/test_contract.py", "-q", "-p", "no:cacheprovider",
         "-o", "addopts=", "-x"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=880,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-15000:] + result.stderr[-3000:]
    assert "2 passed" in result.stdout, result.stdout[-3000:]
