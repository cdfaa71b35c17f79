"""Load questionnaire profiles from TOML files and validate them, naming the file, item and problem."""
from __future__ import annotations

import hashlib
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from surveys.schema import (
    FACTOR_INDEX_RULES,
    HIGHER_UNIT_RULES,
    ITEM_INDEX_RULES,
    ITEM_KINDS,
    PART_INDEX_RULES,
    SIPAS_RULES,
    Block,
    Factor,
    Item,
    Option,
    Part,
    Profile,
    Rules,
    Scale,
    Text,
)

PROFILE_DIR = Path(__file__).parent / "profiles"


class ProfileError(ValueError):
    """A profile file is broken; the message names the file, the place and the problem."""


def available() -> list[str]:
    """Keys of the profiles shipped with the platform."""
    return sorted(p.stem for p in PROFILE_DIR.glob("*.toml"))


@lru_cache(maxsize=None)
def load(key: str) -> Profile:
    """Load a shipped profile by key (cached: profiles are immutable once they have responses)."""
    path = PROFILE_DIR / f"{key}.toml"
    if not path.exists():
        raise ProfileError(f"unknown questionnaire profile {key!r}; available: {', '.join(available())}")
    return load_file(path)


def fingerprint(key: str) -> str:
    """SHA-256 of a shipped profile's file as it is on disk now (never cached): a round records it when it is
    created, and its results are refused when the file has changed since (a profile is never edited in place)."""
    path = PROFILE_DIR / f"{key}.toml"
    if not path.exists():
        raise ProfileError(f"unknown questionnaire profile {key!r}; available: {', '.join(available())}")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_file(path: Path | str) -> Profile:
    """Parse and validate one profile file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: not valid TOML: {exc}") from None
    try:
        profile = parse(data, source=str(path))
    except ProfileError as exc:
        raise ProfileError(f"{path}: {exc}") from None
    if profile.key != path.stem:
        raise ProfileError(f"{path}: key {profile.key!r} must equal the file name {path.stem!r}")
    return profile


def _text(node: Mapping[str, Any], where: str) -> Text:
    vi, en = node.get("vi"), node.get("en")
    if not isinstance(vi, str) or not vi.strip():
        raise ProfileError(f"{where}: missing Vietnamese text 'vi'")
    if not isinstance(en, str) or not en.strip():
        raise ProfileError(f"{where}: missing English text 'en'")
    return Text(vi, en)


def _require(node: Mapping[str, Any], name: str, where: str) -> Any:
    if name not in node:
        raise ProfileError(f"{where}: missing '{name}'")
    return node[name]


def _choice(value: Any, allowed: tuple[str, ...], where: str) -> str:
    if value not in allowed:
        raise ProfileError(f"{where}: {value!r} is not one of {', '.join(allowed)}")
    return value


def _scales(data: Mapping[str, Any]) -> dict[str, Scale]:
    scales = {}
    for key, node in data.get("scales", {}).items():
        options, seen = [], set()
        for i, opt in enumerate(_require(node, "options", f"scale '{key}'")):
            value = _require(opt, "value", f"scale '{key}' option {i + 1}")
            if not isinstance(value, int) or not 0 <= value <= 99:
                raise ProfileError(f"scale '{key}' option {i + 1}: value {value!r} must be an integer 0..99")
            if value in seen:
                raise ProfileError(f"scale '{key}': duplicate value {value}")
            seen.add(value)
            options.append(Option(value, _text(opt, f"scale '{key}' option {value}")))
        if not options:
            raise ProfileError(f"scale '{key}': no options")
        scales[key] = Scale(key, tuple(options))
    return scales


def parse(data: Mapping[str, Any], source: str = "") -> Profile:
    """Build a validated Profile from parsed TOML data."""
    key = _require(data, "key", "profile")
    scales = _scales(data)
    factors = [Factor(_require(f, "code", "factor"), _text(f, f"factor '{f.get('code')}'"),
                      f.get("general_item"), f.get("part")) for f in data.get("factors", [])]
    blocks = [Block(_require(b, "code", "block"), _text(b, f"block '{b.get('code')}'"),
                    int(_require(b, "max_choices", f"block '{b.get('code')}'"))) for b in data.get("blocks", [])]
    items = _items(data, scales, {f.code for f in factors}, {b.code for b in blocks})
    by_code = {i.code: i for i in items}
    _check_factors_and_blocks(factors, blocks, items, by_code)
    rules = _rules(data.get("rules", {}), factors, by_code)
    parts = _parts(data, {f.code for f in factors}, by_code)
    if rules.sipas == "MEAN_OF_PARTS" and not parts:
        raise ProfileError("rules.sipas: MEAN_OF_PARTS needs [[parts]]")
    satisfied_scale_items = [i for i in items if i.kind in ("satisfaction", "overall", "policy_satisfaction")]
    for item in satisfied_scale_items:
        missing = set(rules.satisfied_values) - item.scale.values
        if missing:
            raise ProfileError(f"item '{item.code}': satisfied values {sorted(missing)} are not on its scale")
    return Profile(
        key=key, method_version=_require(data, "method_version", "profile"), title=_text(data.get("title", {}),
                                                                                          "profile title"),
        items=tuple(items), factors=tuple(factors), blocks=tuple(blocks), parts=tuple(parts), rules=rules,
        allows_comment=bool(data.get("allows_comment", True)),
        allows_dossier_code=bool(data.get("allows_dossier_code", False)), source=source)


def _items(data: Mapping[str, Any], scales: dict[str, Scale], factor_codes: set[str],
           block_codes: set[str]) -> list[Item]:
    items: list[Item] = []
    seen: set[str] = set()
    for node in _require(data, "items", "profile"):
        code = _require(node, "code", "item")
        where = f"item '{code}'"
        if code in seen:
            raise ProfileError(f"{where}: duplicate item code")
        seen.add(code)
        if not isinstance(code, str) or not code or len(code) > 16:
            raise ProfileError(f"{where}: code must be 1..16 characters")
        kind = _choice(_require(node, "kind", where), ITEM_KINDS, f"{where} kind")
        scale_key = _require(node, "scale", where)
        if scale_key not in scales:
            raise ProfileError(f"{where}: unknown scale {scale_key!r}")
        factor = node.get("factor")
        if factor is not None and factor not in factor_codes:
            raise ProfileError(f"{where}: unknown factor {factor!r}")
        block = node.get("block")
        if block is not None and block not in block_codes:
            raise ProfileError(f"{where}: unknown block {block!r}")
        if kind == "expectation" and block is None:
            raise ProfileError(f"{where}: an expectation item needs a block")
        items.append(Item(code, kind, scales[scale_key], _text(node, where), factor, block, node.get("part"),
                          bool(node.get("required", False))))
    return items


def _check_factors_and_blocks(factors: list[Factor], blocks: list[Block], items: list[Item],
                              by_code: dict[str, Item]) -> None:
    for f in factors:
        if f.general_item is not None and f.general_item not in by_code:
            raise ProfileError(f"factor '{f.code}': unknown general item {f.general_item!r}")
    for b in blocks:
        n_options = sum(1 for i in items if i.block == b.code)
        if not 1 <= b.max_choices <= max(n_options, 1):
            raise ProfileError(f"block '{b.code}': max_choices {b.max_choices} must be 1..{n_options}")


def _rules(rules_node: Mapping[str, Any], factors: list[Factor], by_code: dict[str, Item]) -> Rules:
    rules = Rules(
        item_index=_choice(rules_node.get("item_index", "TOP2_BOX"), ITEM_INDEX_RULES, "rules.item_index"),
        satisfied_values=tuple(rules_node.get("satisfied_values", (4, 5))),
        factor_index=_choice(rules_node.get("factor_index", "GENERAL_QUESTION"), FACTOR_INDEX_RULES,
                             "rules.factor_index"),
        sipas=_choice(rules_node.get("sipas", "MEAN_OF_FACTORS"), SIPAS_RULES, "rules.sipas"),
        overall_item=rules_node.get("overall_item"),
        higher_units=_choice(rules_node.get("higher_units", "POOLED"), HIGHER_UNIT_RULES, "rules.higher_units"),
        min_base=int(rules_node.get("min_base", 30)),
    )
    if rules.overall_item is not None and rules.overall_item not in by_code:
        raise ProfileError(f"rules.overall_item: unknown item {rules.overall_item!r}")
    if rules.sipas == "OVERALL_QUESTION" and rules.overall_item is None:
        raise ProfileError("rules.sipas: OVERALL_QUESTION needs rules.overall_item")
    if rules.factor_index == "GENERAL_QUESTION":
        for f in factors:
            if f.general_item is None:
                raise ProfileError(f"factor '{f.code}': GENERAL_QUESTION needs a general_item")
    return rules


def _parts(data: Mapping[str, Any], factor_codes: set[str], by_code: dict[str, Item]) -> list[Part]:
    parts = []
    for node in data.get("parts", []):
        code = _require(node, "code", "part")
        where = f"part '{code}'"
        part = Part(code, _text(node, where), _choice(_require(node, "index", where), PART_INDEX_RULES, where),
                    tuple(node.get("factors", ())), tuple(node.get("items", ())))
        for factor_code in part.factors:
            if factor_code not in factor_codes:
                raise ProfileError(f"{where}: unknown factor {factor_code!r}")
        for i in part.items:
            if i not in by_code:
                raise ProfileError(f"{where}: unknown item {i!r}")
        parts.append(part)
    return parts
