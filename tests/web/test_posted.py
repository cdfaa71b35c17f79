"""The online POST read without WTForms (sipas.web.posted) refuses exactly the fields the generated WTForms form
refuses, in the same order, and reads the same answers: the form's own validate() is the reference."""
from __future__ import annotations

import flask
import pytest
from flask_wtf.csrf import generate_csrf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

import surveys
from sipas import create_app
from sipas.web.forms import ASKED_KINDS, form_class
from sipas.web.posted import read_posted
from tests.conftest import private_dirs

PROFILE = surveys.load("SIPAS_2640")  # radio questions, "choose at most 3" blocks, a comment
RADIOS = [i.code for i in PROFILE.items if i.kind in ASKED_KINDS]
BOXES = [i.code for i in PROFILE.items if i.kind == "expectation"]
ODD = ["", " ", " 5", "3 ", "None", "0", "05", "9", "abc", "1.0", "-1"]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("posted")
    return create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{folder / 'x.sqlite'}", "SECRET_KEY": "s",
                       "DEMO_ON_FIRST_START": False, **private_dirs(folder)})


def _fields():
    radio = st.one_of(st.sampled_from([str(v) for v in range(1, 6)]), st.sampled_from(ODD))
    box = st.sampled_from(["y", "1", "false", "", "on"])
    return st.tuples(st.dictionaries(st.sampled_from(RADIOS), radio, max_size=12),
                     st.dictionaries(st.sampled_from(BOXES), box, max_size=6),
                     st.sampled_from([None, "", "Tốt", " " * 2001, "x" * 2001]),
                     st.sampled_from(["valid", "stale", None]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=_fields(), admin_map=st.sampled_from(["historical_63", "new_34"]))
def test_the_post_is_refused_and_read_as_the_form_would(app, fields, admin_map):
    radios, boxes, comment, csrf = fields
    with app.test_request_context("/r/X/Y"):
        token = generate_csrf()
        raw_session = dict(flask.session)
    data = MultiDict({**radios, **boxes, "response_id": "r-1"})
    if comment is not None:
        data["comment"] = comment
    if csrf is not None:
        data["csrf_token"] = token if csrf == "valid" else "stale"
    with app.test_request_context("/r/X/Y", method="POST", data=data):
        flask.session.update(raw_session)
        posted = read_posted(PROFILE, admin_map)
        form = form_class(PROFILE.key, "vi", admin_map)()
        valid = form.validate()
        assert posted.invalid == list(form.errors)
        assert (posted.comment, posted.response_id) == (form.comment.data, form.response_id.data)
        if valid:
            assert posted.answers == form.answers()
            assert posted.unanswered == form.unanswered()
