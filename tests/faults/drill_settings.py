"""Pond's settings for fault-drill servers: production settings plus short cache TTLs.

The read-through cache's TTLs (`JFROG_ML_TTL_<RESOURCE>`) are not environment
settings in production; a drill sets them all from POND_DRILL_TTL so that every
page goes upstream and meets the fault, instead of being answered from a fresh
cache entry.
"""

from __future__ import annotations

import os

from webui.settings import *  # noqa: F403 - this module is the production settings plus a few

_ttl = float(os.environ.get("POND_DRILL_TTL", "0.2"))
JFROG_ML_TTL_DEPLOYMENTS = JFROG_ML_TTL_DEPLOYMENT = JFROG_ML_TTL_MODEL = _ttl
JFROG_ML_TTL_VERSIONS = JFROG_ML_TTL_EXPERIMENTS = JFROG_ML_TTL_EXPERIMENT = _ttl
