"""The typed results of a round: frozen data read by the dashboard, the workbook, the CLI JSON and comparisons.

No database and no Flask here: `sipas/services` produces these objects and stores them (through
`payload.to_payload`), `sipas/reports` and the web layer only read them.
"""
from sipas.results.model import (
    CHANNEL_GROUPS,
    SAMPLED,
    SELF_SELECTED_GROUP,
    Change,
    Contrast,
    GroupResult,
    RankResult,
    Revision,
    RoundInfo,
    RoundResults,
    UnitLabel,
    Verdict,
    channel_group,
)
from sipas.results.payload import from_payload, to_payload

__all__ = ["CHANNEL_GROUPS", "SAMPLED", "SELF_SELECTED_GROUP", "Change", "Contrast", "GroupResult", "RankResult",
           "Revision", "RoundInfo", "RoundResults", "UnitLabel", "Verdict", "channel_group", "from_payload",
           "to_payload"]
