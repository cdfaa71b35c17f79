"""Questionnaire profile: the data structures one profile file turns into (stdlib only)."""
from __future__ import annotations

from dataclasses import dataclass, field

ITEM_KINDS = ("assessment", "satisfaction", "overall", "expectation", "behaviour", "respondent",
              "policy_satisfaction", "policy_assessment")
ITEM_INDEX_RULES = ("TOP2_BOX", "MEAN_SCORE")
FACTOR_INDEX_RULES = ("GENERAL_QUESTION", "MEAN_OF_ITEMS")
SIPAS_RULES = ("MEAN_OF_FACTORS", "OVERALL_QUESTION", "MEAN_OF_PARTS")
PART_INDEX_RULES = ("MEAN_OF_FACTORS", "MEAN_OF_ITEMS")
HIGHER_UNIT_RULES = ("POOLED", "MEAN_OF_CHILDREN", "WEIGHTED")


@dataclass(frozen=True)
class Text:
    """A text in Vietnamese with its English translation."""

    vi: str
    en: str

    def get(self, lang: str) -> str:
        """The text in `lang` ("vi" or "en"), Vietnamese for anything else."""
        return self.en if lang == "en" else self.vi


@dataclass(frozen=True)
class Option:
    """One answer option: the stored small integer and its label."""

    value: int
    label: Text


@dataclass(frozen=True)
class Scale:
    """A set of options shared by items (the 5-level satisfaction scale, Có/Không, ...)."""

    key: str
    options: tuple[Option, ...]

    @property
    def values(self) -> frozenset[int]:
        """Stored values this scale accepts."""
        return frozenset(o.value for o in self.options)


@dataclass(frozen=True)
class Item:
    """One question."""

    code: str
    kind: str
    scale: Scale
    text: Text
    factor: str | None = None
    block: str | None = None
    part: str | None = None
    required: bool = False


@dataclass(frozen=True)
class Factor:
    """One of the five SIPAS factors (yếu tố), with its general satisfaction question."""

    code: str
    text: Text
    general_item: str | None
    part: str | None = None


@dataclass(frozen=True)
class Block:
    """A multiple-choice block (expectations): each option is an item, at most `max_choices` chosen."""

    code: str
    text: Text
    max_choices: int


@dataclass(frozen=True)
class Part:
    """A part of the index (SIPAS_1001: policy part and service part)."""

    code: str
    text: Text
    index: str
    factors: tuple[str, ...] = ()
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rules:
    """Index rules: settings, never constants in code (docs/methodology.md, "Index rules")."""

    item_index: str = "TOP2_BOX"
    satisfied_values: tuple[int, ...] = (4, 5)
    factor_index: str = "GENERAL_QUESTION"
    sipas: str = "MEAN_OF_FACTORS"
    overall_item: str | None = None
    higher_units: str = "POOLED"
    min_base: int = 30


@dataclass(frozen=True)
class Profile:
    """A questionnaire profile: items, scales, factors, blocks, parts and index rules."""

    key: str
    method_version: str
    title: Text
    items: tuple[Item, ...]
    factors: tuple[Factor, ...]
    blocks: tuple[Block, ...]
    parts: tuple[Part, ...]
    rules: Rules
    allows_comment: bool = True
    allows_dossier_code: bool = False
    source: str = ""
    _by_code: dict[str, Item] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_code.update({item.code: item for item in self.items})

    def item(self, code: str) -> Item:
        """The item with this code (KeyError if unknown)."""
        return self._by_code[code]

    def has_item(self, code: str) -> bool:
        """True when the profile defines `code`."""
        return code in self._by_code

    def items_of(self, *kinds: str) -> list[Item]:
        """Items of the given kinds, in questionnaire order."""
        return [i for i in self.items if i.kind in kinds]

    def factor_items(self, factor: str, kind: str = "assessment") -> list[Item]:
        """The assessment items of one factor."""
        return [i for i in self.items if i.factor == factor and i.kind == kind]

    def block_items(self, block: str) -> list[Item]:
        """The options of a multiple-choice block."""
        return [i for i in self.items if i.block == block]
