"""The online questionnaire's POST, read without building its WTForms form (WTForms is for rendering).

Building and validating a generated form costs about 2 ms per post, more than storing the response: the post is
read here with the rules of the fields forms.form_class declares (a radio value must be one of the options shown,
blank is "not answered"; a ticked box is anything but "" or "false"; the comment at most 2000 characters) and the
CSRF token is checked with Flask-WTF's own validate_csrf. The answers then go to surveys.check_answers, the one
answer validator. The form is built only when a page has to be shown again.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flask import current_app, g, request
from flask_wtf.csrf import validate_csrf
from werkzeug.datastructures import CombinedMultiDict, ImmutableMultiDict, MultiDict
from wtforms.validators import ValidationError

import surveys
from sipas.services.responses import MAX_COMMENT_LENGTH
from sipas.web.forms import ASKED_KINDS, answers_of, choices_of, unanswered_of


@dataclass(frozen=True)
class Posted:
    """One post of the questionnaire: its fields, answers, and the fields the form would refuse (in the form's
    field order, `csrf_token` last, as form.errors lists them)."""

    response_id: str | None
    website: str | None
    comment: str | None
    confirm_incomplete: str | None
    answers: dict[str, object]
    unanswered: list
    invalid: list[str]


@lru_cache(maxsize=None)
def _radio_values(profile_key: str, admin_map: str) -> dict[str, frozenset[str]]:
    """Item code -> the option values its radio buttons carry (the same list the form is built from)."""
    profile = surveys.load(profile_key)
    return {item.code: frozenset(c.value for c in choices_of(item, "vi", admin_map))
            for item in profile.items if item.kind in ASKED_KINDS}


def _formdata() -> MultiDict | None:
    """What FlaskForm would read (flask_wtf.form.FlaskForm.Meta.wrap_formdata)."""
    if request.files:
        return CombinedMultiDict((request.files, request.form))
    if request.form:
        return request.form
    if request.is_json:
        return ImmutableMultiDict(request.get_json())
    return None


def _csrf_ok(formdata: MultiDict | None) -> bool:
    if not current_app.config.get("WTF_CSRF_ENABLED", True) or g.get("csrf_valid", False):
        return True
    name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    try:
        validate_csrf(formdata.get(name) if formdata is not None else None)
    except ValidationError:
        return False
    return True


def read_posted(profile: surveys.Profile, admin_map: str) -> Posted:
    """The questionnaire as posted in this request."""
    formdata = _formdata()

    def first(name: str):
        values = formdata.getlist(name) if formdata is not None and name in formdata else []
        return values[0] if values else None

    radios = _radio_values(profile.key, admin_map)
    invalid = []
    comment = first("comment")
    if isinstance(comment, str) and comment.strip() and len(comment) > MAX_COMMENT_LENGTH:
        invalid.append("comment")
    raw: dict[str, str | None] = {}
    for item in profile.items:
        value = first(item.code)
        if item.code in radios:
            raw[item.code] = None if value is None else str(value)
            # WTForms' Optional(): a blank value is "not answered", never an error
            if isinstance(value, str) and not value.strip() or value is None:
                continue
            if str(value) not in radios[item.code]:
                invalid.append(item.code)
    if not _csrf_ok(formdata):
        invalid.append("csrf_token")

    def ticked(code: str) -> bool:
        return first(code) not in (None, False, "false", "")

    return Posted(first("response_id"), first("website"), comment, first("confirm_incomplete"),
                  answers_of(profile, raw.get, ticked), unanswered_of(profile, raw.get), invalid)
