"""What the insights share: links to Pond's pages, flags, effective statuses over an estate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from django.urls import get_script_prefix, reverse

from webui.core.converters import UpstreamIdConverter
from webui.insights.sources import Estate, ModelRef, VersionRef, shared_index
from webui.reviews.effective import EffectiveStatus, versions_effective_status

# A deployment in one of these is (or is about to be) answering requests.

SERVING = frozenset({"active", "deploying"})


@dataclass(frozen=True)
class Link:
    """A labelled link; the URL is built when shown (most links on a big estate never are)."""

    label: str
    route: str
    ids: tuple[str, ...] = ()
    query: str = ""

    @property
    def url(self) -> str:
        return url_for(self.route, *self.ids) + self.query


@dataclass(frozen=True)
class FixedLink:
    """A labelled link whose URL is known (routes that take no upstream id)."""

    label: str
    url: str


@dataclass(frozen=True)
class Flag:
    code: str
    message: str
    links: tuple[Link, ...] = ()


# --- links ------------------------------------------------------------------------------
# reverse() costs ~90 µs; a page over 10,000 models needs tens of thousands of links, so
# each route is reversed once with placeholders and filled in with the same quoting.

_SLOT = "00slot{}00"
_ID_SEGMENT = UpstreamIdConverter()
_SAFE = "!$&'()*+,;=~:@"  # what Django's reverse() leaves unquoted in a path, minus "/"


@lru_cache(maxsize=64)
def _route(name: str, slots: int, prefix: str) -> str:
    return reverse(name, args=[_SLOT.format(i) for i in range(slots)])


def url_for(name: str, *ids: str) -> str:
    url = _route(name, len(ids), get_script_prefix())
    for i, value in enumerate(ids):
        # As reverse() does: the id converter's segment, then reverse()'s own quoting.
        url = url.replace(_SLOT.format(i), quote(_ID_SEGMENT.to_url(value), safe=_SAFE), 1)
    return url


def model_link(model: ModelRef | None, model_id: str) -> Link:
    return Link(f"model {model.display_name if model else model_id}", "model_detail", (model_id,))


def version_link(version: VersionRef) -> Link:
    return Link(f"version {version.label}", "version_detail", (version.model_id, version.id))


def deployment_link(deployment: Any) -> Link:
    return Link(f"deployment {deployment.name or deployment.id}", "deployment_detail", (deployment.id,))


@lru_cache(maxsize=32)
@lru_cache(maxsize=64)
def _as_upstream_says(status: str) -> EffectiveStatus:
    return EffectiveStatus(status, "upstream", upstream_status=status)


def _effective(estate: Estate) -> Mapping[str, EffectiveStatus]:
    """Effective status of every version in the catalog, from one ledger read.

    `versions_effective_status` decides every version the ledger touched; a version
    with no applied ledger entry is what JFrog ML says (that function's first rule),
    which is taken directly so that 100,000 versions cost milliseconds, not seconds.
    """
    touched = {str(e.version_id) for e in estate.ledger}
    by_id = estate.versions_by_id
    decided = versions_effective_status(
        versions=[by_id[vid] for vid in touched if vid in by_id], ledger_entries=estate.ledger
    )
    return _Effective(by_id, decided)


def _upstream_in_status(estate: Estate, status: str) -> dict[str, list[VersionRef]]:
    """Model id -> its versions whose upstream status is `status`, in the model's order.

    Kept per model list (see `shared_index`): for a model no ledger entry touched, these
    are exactly its versions with that effective status, so the selectors need not look
    at each of 100,000 versions per page.
    """
    models = estate.models
    return shared_index(
        f"upstream-status:{status}",
        models,
        lambda: {m.id: [v for v in m.versions if v.status == status] for m in models if m.versions},
    )


def _in_effective_status(
    model: ModelRef,
    status: str,
    effective: Mapping[str, EffectiveStatus],
    index: dict[str, list[VersionRef]],
    *,
    unknown_as_upstream: bool = False,
) -> list[tuple[VersionRef, EffectiveStatus | None]]:
    """(version, effective status) of the model's versions whose effective status is
    `status`; a version `effective` does not know counts by its upstream status when
    `unknown_as_upstream`, else not at all."""
    if type(effective) is _Effective and model.id not in effective.decided_models:
        return [(v, effective.get(v.id)) for v in index.get(model.id, ())]
    found = []
    for v in model.versions or ():
        eff = effective.get(v.id)
        if (eff.status if eff is not None else (v.status if unknown_as_upstream else None)) == status:
            found.append((v, eff))
    return found


class _Effective(Mapping):
    """Version id -> EffectiveStatus for every version in `by_id`: the ledger's decision
    where it made one, else what JFrog ML says. Looked up lazily: pages read a few of
    100,000 entries, so none is built until asked for."""

    def __init__(self, by_id: dict[str, VersionRef], decided: dict[str, EffectiveStatus]) -> None:
        self._by_id = by_id
        self._decided = decided
        # Models with a version whose status the ledger decided (may differ from upstream's).
        self.decided_models = {by_id[v].model_id for v in decided if v in by_id}

    def __getitem__(self, vid: str) -> EffectiveStatus:
        found = self._decided.get(vid)
        if found is not None:
            return found
        return _as_upstream_says(self._by_id[vid].status)

    def get(self, vid: str, default: Any = None) -> Any:
        found = self._decided.get(vid)
        if found is not None:
            return found
        version = self._by_id.get(vid)
        return _as_upstream_says(version.status) if version is not None else default

    def __contains__(self, vid: object) -> bool:
        return vid in self._by_id


    def __iter__(self):
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)
