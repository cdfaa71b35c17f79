"""Flask-WTF forms generated from questionnaire profiles (one class per profile and language, cached).

One definition (the profile) drives the online form and the paper-entry form; field names are the item
codes (dotted codes such as "E1.1" work: templates use form["E1.1"]).
"""
from __future__ import annotations

from functools import lru_cache

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import Length, Optional

import surveys
from sipas.models import AdminMap
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
    comment = TextAreaField(validators=[Optional(), Length(max=2000)])

    def answers(self) -> dict[str, int | None]:
        """Item code -> value (None where not answered), expectation options as 1/0 when the block was answered."""
        out: dict[str, int | None] = {}
        for item in self.profile.items:
            if item.kind in ASKED_KINDS:
                raw = self[item.code].data
                out[item.code] = int(raw) if raw not in (None, "", "None") else None
        for block in self.profile.blocks:
            options = self.profile.block_items(block.code)
            chosen = {i.code for i in options if self[i.code].data}
            if chosen:  # the block was answered: chosen = 1, the others = 0
                out.update({i.code: int(i.code in chosen) for i in options})
        return out

    def unanswered(self) -> list:
        """Items asked but left blank (shown as a summary before submitting)."""
        return [i for i in self.profile.items if i.kind in EXPECTED_KINDS
                and self[i.code].data in (None, "", "None")]


@lru_cache(maxsize=None)
def form_class(profile_key: str, lang: str, admin_map: str = AdminMap.HISTORICAL_63.value) -> type[QuestionnaireForm]:
    """The form class of a profile (built once per profile version, language and map, not per request).

    Options naming a level the round's map does not have are left out (no "Cấp huyện" on a new_34 round)."""
    profile = surveys.load(profile_key)
    fields = {}
    for item in profile.items:
        if item.kind in ASKED_KINDS:
            choices = [SelectChoice(str(o.value), o.label.get(lang)) for o in item.scale.options
                       if offered_on_map(item.scale.key, o.value, AdminMap(admin_map))]
            if item.kind in ("assessment", "policy_assessment"):
                choices.append(SelectChoice(DONT_KNOW, "Không biết / không trả lời" if lang != "en"
                                            else "Don't know / no answer"))
            fields[item.code] = RadioField(item.text.get(lang), choices=choices, validators=[Optional()],
                                           validate_choice=True)
        elif item.kind == "expectation":
            fields[item.code] = BooleanField(item.text.get(lang))
    return type(f"{profile_key}_{lang}_{admin_map}_form", (QuestionnaireForm,), {"profile": profile, **fields})


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
