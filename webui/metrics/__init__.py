"""Metrics for operators: `/metrics` in the Prometheus text format.

- `instruments` the counters and histograms every process records into (the official
                `prometheus_client`, multiprocess mode), and one small function per
                figure. A leaf: it imports nothing of Pond, so that any layer may call
                it (webui/jfrogml/ does, at its call sites, as it may call a library).
- `middleware`  request counts and latency per view (the URL pattern's name).
- `state`       figures read at scrape time from the database and the shared cache:
                the breaker's state, the poller's last success and cycle, deployments
                per status, open incidents, pending reviews.
- `views`       `/metrics`: off (404) unless POND_METRICS_TOKEN and/or
                POND_METRICS_ALLOW is set; every process of the run, summed.
- `gunicorn_hooks` gunicorn's `child_exit`: a dead worker's live gauges are dropped.

Every process writes its figures to files in PROMETHEUS_MULTIPROC_DIR (settings.py
chooses one per run when it is unset); `/metrics` sums the files of every process
that wrote there: each gunicorn worker and the Celery worker alike.
"""
