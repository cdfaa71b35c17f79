"""Statistics for SIPAS: pure functions on counts and arrays. numpy and scipy only; imports nothing else."""
from analysis.design import Totals, certainty_psus
from analysis.indices import Composite, ConfidenceInterval, IndexResult, Settings, compute_indices
from analysis.sums import build_totals, certainty_psu_codes

__all__ = ["Composite", "ConfidenceInterval", "IndexResult", "Settings", "Totals", "build_totals",
           "certainty_psu_codes", "certainty_psus", "compute_indices"]
