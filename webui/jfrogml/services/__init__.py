"""Page-facing reads and writes: the only functions Pond's views and tasks call.

Each read assembles one page from a small, fixed number of cached upstream calls
(fetched concurrently where independent; never one per row) and returns a
dataclass with `.freshness`. Reads raise NotFound for unknown ids and Unavailable
only when JFrog ML fails and nothing is cached. Deployment status always comes
from the cached deployment list that the poller refreshes
(`deployments_refresh()`), so pages do not wait on JFrog ML for it.

Writes are keyword-only, call JFrog ML once, then expire every cache entry they
affect and patch the catalog; they raise ValidationFailed, Conflict, NotFound,
Unavailable (and OperationUnsupported for extension operations).
"""

from __future__ import annotations

from webui.jfrogml.catalog import catalog_refresh  # noqa: F401  (the Celery task calls it here)
from webui.jfrogml.services._shared import (  # noqa: F401
    COMPARE_MAX,
    COMPARE_MIN,
    MAX_PER_PAGE,
    SORTS,
    Comparison,
    DeploymentSummary,
    catalog_exists,
    deployments_refresh,
    versions_as_of,
)
from webui.jfrogml.services.deployments import (  # noqa: F401
    DeploymentDetail,
    DeploymentList,
    DeploymentRow,
    DeploymentStatuses,
    deployment_create,
    deployment_delete,
    deployment_detail,
    deployment_list,
    deployment_statuses,
    deployment_update,
)
from webui.jfrogml.services.experiments import (  # noqa: F401
    ExperimentDetail,
    ExperimentList,
    ExperimentsCompare,
    experiment_create,
    experiment_delete,
    experiment_detail,
    experiment_list,
    experiment_update,
    experiments_compare,
    experiments_refresh,
)
from webui.jfrogml.services.models import (  # noqa: F401
    Facets,
    ModelListPage,
    ModelOverview,
    ModelRow,
    Overview,
    ReviewItem,
    VersionDetail,
    VersionsCompare,
    deployments_read_fresh,
    model_create,
    model_delete,
    model_list,
    model_overview,
    model_read_fresh,
    model_update,
    overview,
    version_create,
    version_delete,
    version_detail,
    version_read_fresh,
    version_set_status,
    versions_compare,
)
