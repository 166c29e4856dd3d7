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


def forget_catalog_memo() -> None:
    """Drop the catalog this process keeps in memory per upstream URL.

    Every test shares one live server URL, so without this one test's models would
    show up in the next.
    """
    from webui.jfrogml import catalog

    catalog.reset_local_state()
