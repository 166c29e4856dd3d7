"""How a process is named in prometheus_client's multiprocess files: host and pid.

Containers sharing one directory (web and worker in docker-compose.yml) each count
pids from 1: named by pid alone, two processes would write to one file. Imports
nothing (gunicorn's master uses it without Django).
"""

from __future__ import annotations

import os
import re
import socket

HOST = re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname())[:64] or "host"


def identifier_of(pid: int) -> str:
    return f"{HOST}-{pid}"


def identifier() -> str:
    """This process's name (read on every write: a fork changes it, as prometheus_client expects)."""
    return identifier_of(os.getpid())
