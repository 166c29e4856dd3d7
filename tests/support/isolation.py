"""Keep one test's upstream state (cached data, the catalog memo) out of the next.

Every area's autouse fixture starts from these and adds its own timeouts and settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def own_file_cache(settings: Any, tmp_path: Path) -> None:
    """Django's default cache: Pond's shared file cache, in a directory of this test's own
    (and its lock files beside it)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "webui.core.filecache.FileCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    settings.POND_LOCK_DIR = tmp_path / "locks"


def quick_upstream(settings: Any, *, read_timeout: float = 5.0, deploy_delay: float = 0.0) -> None:
    """Short upstream timeouts and no retries (fault windows stay short), the registry's
    deployments fast, and a cheap password hasher (tests log in a lot)."""
    settings.JFROG_ML_CONNECT_TIMEOUT = 0.5
    settings.JFROG_ML_READ_TIMEOUT = read_timeout
    settings.JFROG_ML_RETRIES = 0
    settings.JFROG_ML_BACKOFF = 0.0
    settings.REGISTRY_DEPLOY_DELAY = deploy_delay
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def forget_catalog_memo() -> None:
    """Drop the catalog this process keeps in memory per upstream URL.

    Every test shares one live server URL, so without this one test's models would
    show up in the next.
    """
    from webui.jfrogml import catalog

    catalog.reset_local_state()
