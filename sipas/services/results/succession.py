"""Year-on-year changes across agency mergers: which agencies of an earlier round a later agency is compared with.

An agency that continues is compared with itself (directly). An agency formed by a merger (the provincial
departments merged on 1 March 2025) is compared with its predecessors *pooled*: their respondents of the earlier
round are estimated together as one domain of that round's design (the domain's ratio of weighted totals, with
the design's strata and PSUs), never as an average of their indices. Succession links are followed transitively
(A -> B -> C pools A and B into C). A predecessor whose work went to several agencies (a split) cannot be given
to one of them: the agencies it fed are not compared (reason SPLIT_PREDECESSOR) rather than compared with a
guessed share.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from sipas.models import Agency, AgencySuccession, Round

#: How a change was obtained when the earlier figure pools an agency's predecessors.
POOLED = "predecessors_pooled"
SPLIT = "SPLIT_PREDECESSOR"


@dataclass(frozen=True)
class Lineage:
    """Agencies of an earlier round as a later round sees them."""

    #: Earlier agency code -> the later agency whose earlier figure it is part of (only where that differs).
    base: Mapping[str, str] = field(default_factory=dict)
    #: Later agency code -> the earlier agencies pooled into its earlier figure (itself included if it existed).
    pooled: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Later agencies fed by part of a split predecessor: not compared.
    split: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.base or self.split)


def lineage(links: Iterable[tuple[str, str]], earlier: Iterable[str]) -> Lineage:
    """The lineage of the earlier round's agencies (`earlier`, by code) through succession links
    (predecessor code, successor code)."""
    successors: dict[str, set[str]] = {}
    for pred, succ in links:
        if pred != succ:
            successors.setdefault(pred, set()).add(succ)
    base: dict[str, str] = {}
    split: set[str] = set()
    for code in earlier:
        finals = _finals(code, successors)
        if len(finals) > 1:
            split |= finals
        elif finals != {code}:
            base[code] = next(iter(finals))
    groups: dict[str, set[str]] = {}
    for code in earlier:
        target = base.get(code, code)
        groups.setdefault(target, set()).add(code)
    pooled = {target: tuple(sorted(codes)) for target, codes in groups.items()
              if target not in split and codes != {target}}
    # An earlier agency whose figure is split away cannot stand alone for a later agency of the same code either.
    return Lineage({c: t for c, t in base.items() if t not in split}, pooled, frozenset(split))


def _finals(code: str, successors: Mapping[str, set[str]]) -> set[str]:
    """The agencies at the end of every succession path from `code` (itself when it has no successor)."""
    out: set[str] = set()
    seen = {code}
    todo = [code]
    while todo:
        current = todo.pop()
        nxt = successors.get(current, set()) - seen
        if not successors.get(current):
            out.add(current)
        seen |= nxt
        todo.extend(nxt)
    return out or {code}  # a cycle of links leads nowhere: the agency stands for itself


def _end_of(rnd: Round) -> date:
    return rnd.closes_on or date(rnd.year, 12, 31)


def agency_lineage(session: Session, earlier: Round, later: Round) -> Lineage:
    """The lineage of `earlier`'s agencies through the successions that took effect after it closed and by the
    end of `later`."""
    pred = Agency.__table__.alias("pred")
    succ = Agency.__table__.alias("succ")
    rows = session.execute(
        select(pred.c.code, succ.c.code).select_from(AgencySuccession)
        .join(pred, pred.c.id == AgencySuccession.predecessor_id)
        .join(succ, succ.c.id == AgencySuccession.successor_id)
        .where(AgencySuccession.effective_on > _end_of(earlier), AgencySuccession.effective_on <= _end_of(later)))
    return lineage([(p, s) for p, s in rows], [a.code for a in earlier.agencies])


def successor_labels(session: Session, lin: Lineage) -> dict[str, tuple[str, str | None]]:
    """Names of the later agencies an earlier round's figures are pooled under (they may not be in it)."""
    codes = sorted(lin.pooled)
    if not codes:
        return {}
    return {code: (name, name_en) for code, name, name_en in
            session.execute(select(Agency.code, Agency.name, Agency.name_en).where(Agency.code.in_(codes)))}
