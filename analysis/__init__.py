"""Statistics for SIPAS: pure functions on counts and arrays. numpy and scipy only; imports nothing else."""
from analysis.design import Totals, build_totals, certainty_psus
from analysis.indices import Composite, ConfidenceInterval, IndexResult, Settings, compute_indices

__all__ = ["Composite", "ConfidenceInterval", "IndexResult", "Settings", "Totals", "build_totals",
           "certainty_psus", "compute_indices"]
