"""The insights: pure functions over an `Estate` (see `sources.py`), plus the two
trend reads over Pond's own records (ledger and status events).

Every finding says in words what is wrong and links to where it is fixed.
"""

from __future__ import annotations

from webui.insights.selectors._shared import (  # noqa: F401
    SERVING,
    FixedLink,
    Flag,
    Link,
    _effective,
    _upstream_in_status,
    deployment_link,
    model_link,
    url_for,
    version_link,
)
from webui.insights.selectors.hygiene import (  # noqa: F401
    Finding,
    Hygiene,
    HygieneSection,
    _artifact_gaps,
    hygiene,
)
from webui.insights.selectors.production import (  # noqa: F401
    ProductionRow,
    ProductionRule,
    ProductionTruth,
    ProductionVersion,
    ServingDeployment,
    production_truth,
)
from webui.insights.selectors.resources import (  # noqa: F401
    GIB,
    DeploymentUsage,
    ResourceReport,
    UsageTotal,
    parse_cpu,
    parse_memory,
    resource_report,
)
from webui.insights.selectors.trends import (  # noqa: F401
    Attention,
    MetricTrend,
    TrendPoint,
    WeekActivity,
    attention,
    metric_trend,
    weekly_activity,
)
