"""Flask-WTF forms generated from questionnaire profiles (one class per profile and language, cached).

One definition (the profile) drives the online form and the paper-entry form; field names are the item
codes (dotted codes such as "E1.1" work: templates use form["E1.1"]).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import Length, Optional

import surveys
from sipas.models import AdminMap
from sipas.services.responses import MAX_COMMENT_LENGTH
from sipas.services.units import offered_on_map
from surveys import Profile

ASKED_KINDS = ("assessment", "satisfaction", "overall", "behaviour", "respondent", "policy_assessment",
               "policy_satisfaction")
#: Questions every citizen is expected to answer (the others are optional): the server's summary of blanks and
#: the online form's flags on a screen left with gaps. The policy questions of part A count as much as the
#: service questions of part B (SIPAS_1001).
EXPECTED_KINDS = ("assessment", "satisfaction", "overall", "policy_assessment", "policy_satisfaction")
DONT_KNOW = ""  # "Không biết / không trả lời": stored as a missing answer


class QuestionnaireForm(FlaskForm):
    """Base of generated forms: the answers as item code -> value."""

    profile: Profile
    response_id = HiddenField()
    confirm_incomplete = HiddenField()
    #: Honeypot: hidden from people (CSS and aria-hidden), bots fill it in.
    website = StringField(validators=[Optional(), Length(max=200)])
    comment = TextAreaField(validators=[Optional(), Length(max=MAX_COMMENT_LENGTH)])

    def answers(self) -> dict[str, object]:
        """Item code -> value (None where not answered), expectation options as 1/0 when the block was answered."""
        return answers_of(self.profile, lambda code: self[code].data, lambda code: bool(self[code].data))

    def unanswered(self) -> list:
        """Items asked but left blank (shown as a summary before submitting)."""
        return unanswered_of(self.profile, lambda code: self[code].data)


def _blank(raw: str | None) -> bool:
    return raw is None or raw.strip() in ("", "None")


def answers_of(profile: Profile, radio: Callable[[str], str | None],
               ticked: Callable[[str], bool]) -> dict[str, object]:
    """The answers of a form (QuestionnaireForm.answers) or of a post read directly (sipas.web.posted)."""
    out: dict[str, object] = {}
    for item in profile.items:
        if item.kind in ASKED_KINDS:
            raw = radio(item.code)
            # Not a number (a robot's post, never validated): left as it came, for check_answers to refuse.
            if raw is None or _blank(raw):
                out[item.code] = None
            else:
                out[item.code] = int(raw) if raw.strip().isdigit() else raw
    for block in profile.blocks:
        options = profile.block_items(block.code)
        chosen = {i.code for i in options if ticked(i.code)}
        if chosen:  # the block was answered: chosen = 1, the others = 0
            out.update({i.code: int(i.code in chosen) for i in options})
    return out


def unanswered_of(profile: Profile, radio: Callable[[str], str | None]) -> list:
    """Expected questions left blank."""
    return [i for i in profile.items if i.kind in EXPECTED_KINDS and _blank(radio(i.code))]


@lru_cache(maxsize=None)
def form_class(profile_key: str, lang: str, admin_map: str = AdminMap.HISTORICAL_63.value) -> type[QuestionnaireForm]:
    """The form class of a profile (built once per profile version, language and map, not per request).

    Options naming a level the round's map does not have are left out (no "Cấp huyện" on a new_34 round)."""
    profile = surveys.load(profile_key)
    fields = {}
    for item in profile.items:
        if item.kind in ASKED_KINDS:
            fields[item.code] = RadioField(item.text.get(lang), choices=choices_of(item, lang, admin_map),
                                           validators=[Optional()], validate_choice=True)
        elif item.kind == "expectation":
            fields[item.code] = BooleanField(item.text.get(lang))
    return type(f"{profile_key}_{lang}_{admin_map}_form", (QuestionnaireForm,), {"profile": profile, **fields})


def choices_of(item: surveys.Item, lang: str, admin_map: str) -> list[SelectChoice]:
    """A question's options on the form: those the round's map offers, and "don't know" for assessments."""
    choices = [SelectChoice(str(o.value), o.label.get(lang)) for o in item.scale.options
               if offered_on_map(item.scale.key, o.value, AdminMap(admin_map))]
    if item.kind in ("assessment", "policy_assessment"):
        choices.append(SelectChoice(DONT_KNOW, "Không biết / không trả lời" if lang != "en"
                                    else "Don't know / no answer"))
    return choices


def sections(profile: Profile) -> list[dict]:
    """The questionnaire in sections: one per factor (or part), then overall, expectations, you."""
    out = []
    for part in profile.parts:
        if part.index == "MEAN_OF_ITEMS":
            codes = [i.code for i in profile.items if i.part == part.code and i.kind.startswith("policy")]
            out.append({"key": f"part-{part.code}", "title": part.text, "items": codes})
    for factor in profile.factors:
        codes = [i.code for i in profile.factor_items(factor.code)]
        if factor.general_item:
            codes.append(factor.general_item)
        out.append({"key": factor.code, "title": factor.text, "items": codes})
    overall = [i.code for i in profile.items_of("overall")]
    if overall:
        out.append({"key": "overall", "title": surveys.Text("Đánh giá chung", "Overall"), "items": overall})
    for block in profile.blocks:
        out.append({"key": f"block-{block.code}", "title": block.text,
                    "items": [i.code for i in profile.block_items(block.code)], "block": block})
    behaviour = [i.code for i in profile.items_of("behaviour")]
    if behaviour:
        out.append({"key": "behaviour", "title": surveys.Text("Trải nghiệm khi giải quyết thủ tục",
                                                            "Your experience"), "items": behaviour})
    respondent = [i.code for i in profile.items_of("respondent")]
    if respondent:
        out.append({"key": "respondent", "title": surveys.Text("Thông tin người trả lời (không bắt buộc)",
                                                             "About you (optional)"), "items": respondent})
    return out
