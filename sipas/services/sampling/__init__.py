"""Sampling from one-stop dossier lists: import a frame, preview a design, draw with a stored seed, follow the
fieldwork, weight the responses.

The statistics are in analysis/sampling.py and analysis/weighting.py; this package reads and writes the
database, one module per step of a Department's journey:

- frame.py: the dossier list (frame) a sample is drawn from, its strata, its lock after the draw;
- allocation.py: sizes per stratum (the 2013 formula; proportional, equal or Neyman allocation);
- draw.py: the draw with a stored seed and the sample plan it records, and its audited undo;
- reserve.py: the reserve list drawn after the main sample, and its audited release;
- invitation_list.py: the list a mail merge or the post needs, and its audited re-issue;
- fieldwork.py: invitations issued, returns and valid responses per stratum, read live;
- weight_inputs.py and weights.py: what people give the weights step, and the final weights.

Sampled dossiers get a one-time invitation carrying their stratum, PSU and base weight, so every response that
comes back through it is ready for the analysis without further work.
"""
from sipas.services.sampling.allocation import (
    ALLOCATIONS,
    Proportions,
    StratumPlan,
    check_plan_parameters,
    parse_level_totals,
    preview,
    previous_proportions,
    stratum_levels,
)
from sipas.services.sampling.draw import DRAW_KEYS, draw, frame_fingerprint, parse_two_stage, reset_draw
from sipas.services.sampling.fieldwork import FieldworkRow, fieldwork
from sipas.services.sampling.frame import (
    FRAME_COLUMNS,
    FRAME_LOCKED,
    ON_TIME_WORDS,
    STRATIFIERS,
    agency_codes,
    ensure_frame_open,
    forget_contacts,
    import_frame,
    parse_stratifiers,
    restratify,
    sampled_count,
    stratum_label,
)
from sipas.services.sampling.invitation_list import (
    INVITATION_COLUMNS,
    LIST_WORDS,
    invitation_list_bytes,
    invitation_rows,
    reissue_invitation_list,
)
from sipas.services.sampling.reserve import held_reserve, parse_reserve_percent, release_reserve
from sipas.services.sampling.weight_inputs import parse_merge, parse_total, parse_trim, read_control_totals
from sipas.services.sampling.weights import RAKE_COLUMNS, WeightingResult, compute_weights

__all__ = [
    "ALLOCATIONS", "DRAW_KEYS", "FRAME_COLUMNS", "FRAME_LOCKED", "INVITATION_COLUMNS", "ON_TIME_WORDS",
    "RAKE_COLUMNS", "STRATIFIERS", "FieldworkRow", "Proportions", "StratumPlan", "WeightingResult", "agency_codes",
    "check_plan_parameters", "compute_weights", "draw", "ensure_frame_open", "fieldwork", "forget_contacts",
    "frame_fingerprint", "import_frame", "invitation_list_bytes", "invitation_rows", "parse_level_totals",
    "parse_merge",
    "parse_stratifiers", "parse_total", "parse_trim", "parse_two_stage", "preview", "previous_proportions",
    "read_control_totals", "reissue_invitation_list", "reset_draw", "restratify", "sampled_count",
    "stratum_label", "stratum_levels", "LIST_WORDS", "held_reserve", "parse_reserve_percent", "release_reserve",
]
