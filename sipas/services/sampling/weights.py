"""Final weights: base weight, non-response adjustment within strata, optional raking to control totals."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analysis import weighting
from analysis.weighting import WeightsReport
from sipas.errors import ValidationFailed
from sipas.models import FrameUnit, Invitation, Response, ResponseStatus, Round
from sipas.services.results.freshness import mark_reweighted
from sipas.services.sampling.frame import agency_codes


@dataclass
class WeightingResult:
    """Response rates per stratum, the final weights' report, and how raking went."""

    rates: list[tuple[str, int, int]]  # stratum, sampled, responded
    report: WeightsReport
    rake_iterations: int | None = None
    rake_converged: bool | None = None
    #: column -> "control totals" or "frame counts"
    calibrated_to: dict[str, str] | None = None
    #: largest relative gap of a margin after raking
    rake_gap: float | None = None
    #: raking did not converge and the weights were written anyway (accept_nonconverged)
    accepted_nonconverged: bool = False


RAKE_COLUMNS = ("agency", "field", "level")


def _rake_value(unit: FrameUnit, column: str, codes: dict[int, str]):
    return codes[unit.agency_id] if column == "agency" else unit.field if column == "field" else unit.level


def compute_weights(session: Session, rnd: Round, *, rake_by: tuple[str, ...] = (),
                    trim: tuple[float, float] | None = None,
                    totals: dict[str, dict[str, float]] | None = None, accept_nonconverged: bool = False,
                    confirm_below_frame: bool = False, merge: dict[str, str] | None = None) -> WeightingResult:
    """Final weights for the sampled responses that came back through their invitations.

    Base weight (1/probability) -> non-response adjustment within strata -> optional raking (with trimming)
    by agency / field / level, to known control totals where given (read_control_totals) and otherwise to
    the frame's own counts -> written onto the responses. Flushes.

    Refused, with nothing written: raking that does not converge (unless accept_nonconverged, which the
    report in the round's design records); control totals below the frame's own count of a category, or final
    weights below 1 (a respondent standing for less than one dossier), unless confirm_below_frame.
    """
    units = _sampled_units(session, rnd)
    responded = np.array([r is not None for _, r in units])
    strata = np.array([u.stratum for u, _ in units])
    rates = [(h, int((strata == h).sum()), int(((strata == h) & responded).sum())) for h in sorted(set(strata))]
    merge = dict(merge or {})
    adjusted = _nonresponse_adjusted(units, responded, strata, merge)
    # The report is filled in once the weights are final (below); raking details are set on the way.
    result = WeightingResult(rates, cast(WeightsReport, None))
    columns = list(rake_by) + [c for c in (totals or {}) if c not in rake_by]
    if columns:
        margins = _margins(session, rnd, units, responded, columns, totals, confirm_below_frame)
        _rake(adjusted, responded, margins, trim, accept_nonconverged, result)
        result.calibrated_to = {c: ("control totals" if totals and c in totals else "frame counts") for c in columns}
    small = int((adjusted[responded] < 1 - 1e-9).sum())
    if small and not confirm_below_frame:
        raise ValidationFailed({"weights": f"{small} respondents would get a weight below 1 (standing for less than "
                                           f"one dossier): check the control totals, or confirm that they are right"})
    for (_, response), w in zip(units, adjusted):
        if response is not None:
            response.weight = float(w)
    mark_reweighted(session, rnd.id)  # weights changed: counts rebuilt, provisional results recomputed
    result.report = weighting.report(adjusted[responded])
    result.accepted_nonconverged = result.rake_converged is False
    rnd.design = {**(rnd.design or {}), "weights_report": {
        "rake": columns, "trim": list(trim) if trim else None, "calibrated_to": result.calibrated_to,
        "rake_iterations": result.rake_iterations, "rake_converged": result.rake_converged,
        "rake_max_gap": result.rake_gap, "accepted_nonconverged": result.accepted_nonconverged,
        "confirmed_below_frame": bool(confirm_below_frame), "merged": merge, "respondents": int(responded.sum()),
        "sum": float(adjusted[responded].sum())}}
    session.flush()
    return result


def _sampled_units(session: Session, rnd: Round) -> list:
    """(frame unit, its valid response or None) for every sampled dossier, in frame order."""
    units = session.execute(
        select(FrameUnit, Response).join(Invitation, Invitation.id == FrameUnit.invitation_id)
        .outerjoin(Response, (Response.id == Invitation.response_id) & (Response.status == ResponseStatus.VALID))
        .where(FrameUnit.round_id == rnd.id, FrameUnit.sampled.is_(True)).order_by(FrameUnit.id)).all()
    if not units:
        raise ValidationFailed({"sample": "no sample drawn for this round"})
    return list(units)


def _nonresponse_adjusted(units, responded: np.ndarray, strata: np.ndarray, merge: dict[str, str]) -> np.ndarray:
    """Base weights adjusted for non-response within weighting classes: the strata, a stratum without
    respondents merged into the one named for it (A=B)."""
    unknown = sorted({h for pair in merge.items() for h in pair} - set(strata.tolist()))
    if unknown:
        raise ValidationFailed({"merge": f"not strata of this sample: {', '.join(unknown)}"})
    classes = np.array([merge.get(h, h) for h in strata.tolist()], dtype=object)
    base = np.array([u.weight for u, _ in units])
    try:
        return weighting.nonresponse_adjust(base, responded, classes)
    except ValueError as exc:
        raise ValidationFailed({"weights": f"{exc} (e.g. --merge EMPTY=OTHER, or the merge field on the page)"}) \
            from None


def _margins(session: Session, rnd: Round, units, responded: np.ndarray, columns: list[str],
             totals: dict[str, dict[str, float]] | None, confirm_below_frame: bool) -> list:
    """(respondents' categories, target totals) per raking column: control totals where given (refused below
    the frame's own counts unless confirmed), else the frame's counts."""
    codes = agency_codes(session)
    margins = []
    for column in columns:
        if column not in RAKE_COLUMNS:
            raise ValidationFailed({"rake": f"{column!r}: {', '.join(RAKE_COLUMNS)}"})
        frame_counts = _frame_counts(session, rnd, column, codes)
        target: dict[Any, float] = frame_counts
        if totals and column in totals:
            target = totals[column]
            below = [f"{c} {t:,.0f} < {frame_counts[c]:,.0f}" for c, t in target.items()
                     if t < frame_counts.get(c, 0)]
            if below and not confirm_below_frame:
                raise ValidationFailed({"totals": f"{column}: control totals below the number of dossiers on "
                                                  f"the frame ({'; '.join(below)}); check the file, or confirm"
                                                  f" that they are right"})
        cats = np.array([_rake_value(u, column, codes) for u, _ in units], dtype=object)[responded]
        uncovered = sorted({str(c) for c in cats if c not in target})
        if uncovered:
            raise ValidationFailed({"rake": f"{column}: respondents in {', '.join(uncovered)} but no control "
                                            f"total for it"})
        margins.append((cats, target))
    return margins


def _frame_counts(session: Session, rnd: Round, column: str, codes: dict[int, str]) -> dict[Any, float]:
    expr = {"agency": FrameUnit.agency_id, "field": FrameUnit.field, "level": FrameUnit.level}[column]
    counts = session.execute(select(expr, func.count()).where(FrameUnit.round_id == rnd.id).group_by(expr)).all()
    return {(codes[cast(int, k)] if column == "agency" else k): float(v) for k, v in counts}


def _rake(adjusted: np.ndarray, responded: np.ndarray, margins: list, trim: tuple[float, float] | None,
          accept_nonconverged: bool, result: WeightingResult) -> None:
    """Rake the respondents' weights in place; refused when it does not converge unless accepted."""
    try:
        raked = weighting.rake(adjusted[responded], margins, trim=trim)
    except ValueError as exc:
        raise ValidationFailed({"rake": str(exc)}) from None
    if not raked.converged and not accept_nonconverged:
        raise ValidationFailed({"rake": f"raking did not converge in {raked.iterations} iterations (a margin is "
                                        f"still {100 * raked.max_gap:.2f} % off its total): widen the trim "
                                        f"bounds or check the totals; the previous weights are kept"})
    adjusted[responded] = raked.weights
    result.rake_iterations, result.rake_converged = raked.iterations, raked.converged
    result.rake_gap = raked.max_gap
