"""Django's file cache, with the entries Pond must not lose out of the cull's reach.

Past MAX_ENTRIES, Django's file cache deletes a random third of its files: after
enough distinct page data (or junk from made-up ids), the status document and the
catalog went with them, and every status URL then rebuilt from the database. Keys of
those kinds live in a `keep/` folder beside the others, which the cull never lists:
they are few and bounded (one status document, one catalog per upstream).
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.cache.backends.filebased import FileBasedCache


def _kept(key: str) -> bool:
    return key.startswith("status:") or ":catalog:" in key


class FileCache(FileBasedCache):
    def _key_to_file(self, key, version=None):
        path = super()._key_to_file(key, version)
        if _kept(key):
            return os.path.join(self._dir, "keep", os.path.basename(path))
        return path

    def _createdir(self):
        super()._createdir()
        os.makedirs(os.path.join(self._dir, "keep"), 0o700, exist_ok=True)

    def clear(self):
        super().clear()
        for path in Path(self._dir, "keep").glob(f"*{self.cache_suffix}"):
            self._delete(str(path))
