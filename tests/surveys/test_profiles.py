"""Questionnaire profiles load, validate, and reject broken files with a message naming the problem."""
from __future__ import annotations

import textwrap

import pytest

import surveys
from surveys import ProfileError, check_answers, load_file


def test_three_profiles_ship_and_load():
    assert surveys.available() == ["KIOSK_RT", "SIPAS_1001", "SIPAS_2640"]


def test_sipas_2640_matches_the_methodology():
    p = surveys.load("SIPAS_2640")
    # docs/methodology.md: 5 factors, 22 criteria, S0..S5, six expectations with at most 3 chosen.
    assert [f.code for f in p.factors] == ["F1", "F2", "F3", "F4", "F5"]
    assessment = p.items_of("assessment")
    assert len(assessment) == 22
    assert [len(p.factor_items(f)) for f in ("F1", "F2", "F3", "F4", "F5")] == [4, 5, 6, 3, 4]
    assert p.item("E3.1").text.vi == "Công chức có thái độ giao tiếp lịch sự"
    assert p.item("E3.1").text.en == "Polite"
    assert [i.code for i in p.items_of("satisfaction", "overall")] == ["S1", "S2", "S3", "S4", "S5", "S0"]
    assert p.item("S1").scale.values == {1, 2, 3, 4, 5}
    assert p.item("E1.1").scale.values == {0, 1}
    assert [b.max_choices for b in p.blocks] == [3]
    assert len(p.block_items("X")) == 6
    assert p.rules.sipas == "MEAN_OF_FACTORS" and p.rules.factor_index == "GENERAL_QUESTION"
    assert p.rules.satisfied_values == (4, 5) and p.rules.min_base == 30


def test_sipas_1001_has_policy_and_service_parts():
    p = surveys.load("SIPAS_1001")
    assert p.rules.sipas == "MEAN_OF_PARTS"
    assert [part.code for part in p.parts] == ["A", "B"]
    assert p.parts[0].items == tuple(f"P{g}" for g in range(1, 10))
    # F1 has 3 items and F2 has 4 [confirmed in docs/methodology.md].
    assert len(p.factor_items("F1")) == 3 and len(p.factor_items("F2")) == 4
    assert len(p.block_items("X")) == 10
    assert p.item("B2").scale.values == {1, 2, 3}  # harassment item: 3 options [confirmed]


def test_kiosk_profile_is_overall_plus_five_factors():
    p = surveys.load("KIOSK_RT")
    assert [i.code for i in p.items] == ["S0", "S1", "S2", "S3", "S4", "S5"]
    assert p.item("S0").required and p.allows_dossier_code and p.allows_comment


def test_every_item_has_vietnamese_and_english_text():
    for key in surveys.available():
        for item in surveys.load(key).items:
            assert item.text.vi.strip() and item.text.en.strip(), (key, item.code)
            for option in item.scale.options:
                assert option.label.vi and option.label.en


GOOD = """
key = "{key}"
method_version = "X"
[title]
vi = "Tiêu đề"
en = "Title"
[scales.sat5]
options = [{{ value = 1, vi = "Một", en = "One" }}, {{ value = 4, vi = "Bốn", en = "Four" }},
           {{ value = 5, vi = "Năm", en = "Five" }}]
[[factors]]
code = "F1"
vi = "Yếu tố"
en = "Factor"
general_item = "S1"
[[items]]
code = "S1"
kind = "satisfaction"
scale = "sat5"
factor = "F1"
vi = "Câu hỏi"
en = "Question"
"""


def _write(tmp_path, body: str, key: str = "BROKEN"):
    path = tmp_path / f"{key}.toml"
    path.write_text(textwrap.dedent(body.format(key=key)), encoding="utf-8")
    return path


def test_a_minimal_profile_loads(tmp_path):
    assert load_file(_write(tmp_path, GOOD)).item("S1").factor == "F1"


@pytest.mark.parametrize("change, expected", [
    (('factor = "F1"', 'factor = "F9"'), "item 'S1': unknown factor 'F9'"),
    (('scale = "sat5"', 'scale = "sat7"'), "item 'S1': unknown scale 'sat7'"),
    (('kind = "satisfaction"', 'kind = "opinion"'), "item 'S1' kind: 'opinion' is not one of"),
    (('en = "Question"', ''), "item 'S1': missing English text 'en'"),
    (('general_item = "S1"', 'general_item = "S9"'), "factor 'F1': unknown general item 'S9'"),
    (('{ value = 4, vi = "Bốn", en = "Four" }', '{ value = 1, vi = "Bốn", en = "Four" }'),
     "scale 'sat5': duplicate value 1"),
])
def test_a_broken_profile_names_file_item_and_problem(tmp_path, change, expected):
    old, new = change
    path = _write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(ProfileError) as err:
        load_file(path)
    assert str(path) in str(err.value)
    assert expected in str(err.value)


def test_duplicate_item_codes_are_rejected(tmp_path):
    body = GOOD + '\n[[items]]\ncode = "S1"\nkind = "overall"\nscale = "sat5"\nvi = "Lặp"\nen = "Again"\n'
    with pytest.raises(ProfileError, match="item 'S1': duplicate item code"):
        load_file(_write(tmp_path, body))


def test_satisfied_values_must_be_on_the_scale(tmp_path):
    body = GOOD + '\n[rules]\nsatisfied_values = [4, 5, 6]\n'
    with pytest.raises(ProfileError, match=r"item 'S1': satisfied values \[6\] are not on its scale"):
        load_file(_write(tmp_path, body))


def test_invalid_toml_is_reported_with_the_file(tmp_path):
    path = tmp_path / "BAD.toml"
    path.write_text("key = ", encoding="utf-8")
    with pytest.raises(ProfileError, match="BAD.toml: not valid TOML"):
        load_file(path)


def test_unknown_profile_key_lists_what_exists():
    with pytest.raises(ProfileError, match="available: KIOSK_RT, SIPAS_1001, SIPAS_2640"):
        surveys.load("SIPAS_1999")


def test_check_answers_accepts_valid_and_reports_each_problem():
    p = surveys.load("SIPAS_2640")
    clean, problems = check_answers(p, {"S1": 4, "E1.1": "1", "E1.2": None, "S2": ""})
    assert clean == {"S1": 4, "E1.1": 1} and problems == {}
    _, problems = check_answers(p, {"S1": 6, "E1.1": 2, "Z9": 1, "S2": "abc", "S3": True})
    assert set(problems) == {"S1", "E1.1", "Z9", "S2", "S3"}
    # One language per message: the English source text with its values; pages translate it (catalogue).
    assert problems["S1"] == "The answer 6 is not one of this question's options (1, 2, 3, 4, 5)."
    assert problems["S1"].params == {"value": 6, "allowed": "1, 2, 3, 4, 5"} and "/" not in problems["S1"]


def test_check_answers_enforces_block_limit_and_required_items():
    p = surveys.load("SIPAS_2640")
    _, problems = check_answers(p, {"X1": 1, "X2": 1, "X3": 1, "X4": 1, "X5": 0, "X6": 0})
    assert "X" in problems and problems["X"] == "Choose at most 3 options." and problems["X"].params == {"n": 3}
    _, problems = check_answers(surveys.load("KIOSK_RT"), {"S1": 5})
    assert "S0" in problems
