"""Totals of a file of responses (`sipas analyze FILE`): the respondents' labels turned into integer codes once,
by hashing (pyarrow), so that grouping a million rows sorts integers, never strings, and no step runs per row.
"""
from __future__ import annotations

import numpy as np

from analysis import Totals, build_totals, certainty_psu_codes
from sipas.services.analysis_plan import Plan, scores
from sipas.services.results.tree import Unit


def text_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct texts, each row's index into them): `np.unique(values.astype(str), return_inverse=True)`
    by a hash table instead of a sort of a million strings (pyarrow's dictionary encoding, in C++)."""
    import pyarrow as pa  # here: the web app loads this module, never calls this, and pyarrow costs ~33 MiB
    encoded = pa.array(np.asarray(values, dtype=object), type=pa.string()).dictionary_encode()
    texts = np.array(encoded.dictionary.to_pylist(), dtype=object)
    order = np.argsort(texts.astype(str), kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return texts[order], rank[encoded.indices.to_numpy(zero_copy_only=False)]


def _recoded(texts: np.ndarray, codes: np.ndarray, blank: str) -> tuple[np.ndarray, np.ndarray]:
    """The codes with the blank text spelt `blank` (it may merge with a text so spelt)."""
    names, inverse = np.unique(np.where(texts == "", blank, texts).astype(str), return_inverse=True)
    return names, inverse[codes]


def design_codes(table) -> tuple[np.ndarray, np.ndarray]:
    """Integer (stratum, PSU) labels of each row, PSUs unique across strata and certainty-adjusted: a blank
    stratum is the stratum "_", a respondent without PSU is a PSU of its own, and so is each respondent of a
    stratum with one PSU (`analysis.certainty_psus`, on integers)."""
    s_names, s_idx = _recoded(*text_codes(table.stratum), "_")
    p_texts, p_idx = text_codes(table.psu)
    blank = np.flatnonzero(p_texts == "")
    if len(blank):
        own = p_idx == blank[0]
        p_idx = p_idx.copy()
        p_idx[own] = len(p_texts) + np.flatnonzero(own)
    # The same PSU label in two strata is two PSUs.
    _, pair = np.unique(s_idx * (int(p_idx.max(initial=0)) + 1) + p_idx, return_inverse=True)
    return s_idx, certainty_psu_codes(s_idx, pair)


def table_totals(plan: Plan, table) -> tuple[Totals, dict[str, Unit]]:
    """Totals by agency from a ResponseTable (a file), and each agency's tier.

    When the table carries each respondent's province (`province`, from the `unit_code` column), the base
    groups are the agencies within provinces ("agency|province"), so an agency serving several provinces is
    still one agency and every province gets its own respondents.
    """
    stratum, psu = design_codes(table)
    answered, score = scores(plan, table.items, table.values)
    agencies, agency = text_codes(table.agency_code)
    province = getattr(table, "province", None)
    if province is None:
        group, names = agency, agencies
    else:
        provinces, p_idx = text_codes(province)
        pairs, group = np.unique(agency * len(provinces) + p_idx, return_inverse=True)
        keys = np.array([f"{agencies[k // len(provinces)]}|{provinces[k % len(provinces)]}" for k in pairs])
        order = np.argsort(keys, kind="stable")  # groups in the order of their names, as np.unique gives them
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        group, names = rank[group], keys[order]
    totals = build_totals(group, stratum, psu, table.weight, answered, score, list(plan.items),
                          pair_items=list(plan.pair_items), group_names=[str(x) for x in names])
    del answered, score
    # Each group's tier from its last row (an agency has one level: the readers refuse a second).
    last = np.zeros(len(names), dtype=np.int64)
    np.maximum.at(last, group, np.arange(len(group)))
    first = np.full(len(names), len(group), dtype=np.int64)
    np.minimum.at(first, group, np.arange(len(group)))
    units = {}
    for g in np.argsort(first, kind="stable"):  # in the order the file first names them
        r = last[g]
        units[str(names[g])] = (Unit(str(table.level[r])) if province is None
                                else Unit(str(table.level[r]), str(province[r]), str(table.agency_code[r])))
    return totals, units
