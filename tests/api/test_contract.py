"""Pond's API honours its own OpenAPI document: schemathesis, every check, over HTTP."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

CONFIG = Path(__file__).with_name("schemathesis-pond.toml")
ST = Path(sys.executable).with_name("st")
MAX_EXAMPLES = os.environ.get("POND_CONTRACT_MAX_EXAMPLES", "5")
SEED = os.environ.get("POND_CONTRACT_SEED", "20261205")


def test_the_api_honours_its_own_openapi_document_with_every_check(live_server, token_for, churn, settings, tmp_path):
    settings.POND_API_WAIT_MAX = 1  # a generated ?wait= holds a call for a second at most
    token = token_for("rita")
    command = [
        str(ST), "--config-file", str(CONFIG), "run", f"{live_server.url}/api/schema/",
        "--url", f"{live_server.url}/api",
        "-H", f"Authorization: Bearer {token}",
        "--checks", "all",
        "--max-examples", MAX_EXAMPLES, "--seed", SEED, "--workers", "1", "--request-timeout", "10",
    ]  # fmt: skip
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=540)
    if result.returncode != 0:
        pytest.fail(f"schemathesis found failures:\n{result.stdout[-20000:]}\n{result.stderr[-3000:]}", pytrace=False)
    assert re.search(r"Tested:\s+10\b", result.stdout), result.stdout[-3000:]  # every operation, none skipped
