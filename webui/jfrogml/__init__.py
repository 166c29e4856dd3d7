"""Pond's service layer: the only code that talks to JFrog ML.

Views and tasks import `services` (page-facing reads and writes), `errors`,
`resources`, `freshness`, `locks` and `metrics`; nothing else here is for them.

- `client`     one `requests.Session` per thread and configuration; `_request()` is
               the choke point (auth, timeouts within a budget, retries for
               idempotent calls only, breaker, error mapping, counters, one log line).
- `errors`     the hierarchy every failure maps to.
- `resources`  frozen dataclasses parsed by a tolerant reader.
- `breaker`    circuit breaker, state shared through the cache.
- `cache`      read-through, TTL per resource, single-flight, stale-if-error.
- `catalog`    every model and its versions, for search/filter/sort across all.
- `services`   what each page needs in a few concurrent, cached upstream calls.
- `locks`      Redis or fcntl locks (single-flight, the poller).
- `metrics`    which way is better for a metric.

Optional settings read with defaults (seconds unless said): JFROG_ML_BUDGET (whole
call incl. retries; default connect + 2 × read timeout), JFROG_ML_TTL_DEPLOYMENTS
(10), JFROG_ML_TTL_DEPLOYMENT (5), JFROG_ML_TTL_MODEL (60), JFROG_ML_TTL_VERSIONS
(30), JFROG_ML_TTL_EXPERIMENTS (30), JFROG_ML_TTL_EXPERIMENT (60),
JFROG_ML_STALE_KEEP (7 days: how long the last good value is kept for
stale-if-error), JFROG_ML_CATALOG_PAGE_SIZE (500 models per list call),
JFROG_ML_CATALOG_THREADS (4 concurrent version-list calls),
JFROG_ML_CATALOG_FULL_REFRESH (3600: re-list every model's versions at least this
often), JFROG_ML_CATALOG_REFRESH_BUDGET (80: one refresh's time budget, under
Celery's soft limit; the next run continues), JFROG_ML_CATALOG_SAVE_EVERY (15:
progress saves during a refresh), JFROG_ML_REVALIDATE_EXPERIMENTS (600: how long
past its TTL the list of every experiment is answered at once while refetched), JFROG_ML_CATALOG_SYNC_MAX (500: the largest upstream whose first page view
fetches versions synchronously), JFROG_ML_CATALOG_BUILD_TIMEOUT (60),
JFROG_ML_CATALOG_MEMO_MAX_AGE (60: how long a process trusts its in-memory catalog
when the cache is down), JFROG_ML_POOL_THREADS (8: threads fetching a page's
independent parts concurrently).
"""
