"""What pages and reports show of a round's results: a stored set, never a computation.

A published round shows its latest published version (or the one asked for); data that arrived after it
appear as a provisional set beside it. An unpublished round shows its provisional set. With no stored set yet,
there is nothing to show: the caller says "not computed yet" and asks the job runner to compute.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from sipas.errors import NotFound
from sipas.models import Round
from sipas.results import RoundResults
from sipas.services.results import freshness, store

PUBLISHED = "published"
PROVISIONAL = "provisional"


@dataclass(frozen=True)
class Shown:
    """The set shown, and what else there is: the latest publication, a newer provisional set, a recomputation
    under way."""

    results: RoundResults | None
    published: store.SetInfo | None
    #: The provisional set when it is newer than the latest publication (or there is none).
    provisional: store.SetInfo | None
    recomputing: freshness.Recomputing | None

    @property
    def computed(self) -> bool:
        """Whether anything is stored yet."""
        return self.results is not None


def shown(session: Session, rnd: Round, *, prefer: str = PUBLISHED, version: int | None = None) -> Shown:
    """The results to show for a round. prefer="provisional" shows the newer provisional set of a published
    round; `version` asks for one published version (NotFound if there is no such version)."""
    published = store.published_info(session, rnd, version)
    if version is not None and published is None:
        raise NotFound(f"round {rnd.code} has no published version {version}")
    latest_published = published if version is None else store.published_info(session, rnd)
    provisional = store.provisional_info(session, rnd)
    if provisional is not None and latest_published is not None and \
            provisional.computed_at <= latest_published.computed_at:
        provisional = None  # older than the publication: nothing new to show
    if version is not None:
        chosen = published
    elif prefer == PROVISIONAL and provisional is not None:
        chosen = provisional
    else:
        chosen = published or provisional
    results = store.load(session, chosen.id) if chosen is not None else None
    return Shown(results, latest_published, provisional, freshness.recomputing(session, rnd))
