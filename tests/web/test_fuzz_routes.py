"""Every route and form, fuzzed as a logged-in admin with hypothesis: no response is a server error (>= 500).

Field names come from the templates (every `name="..."` a form has), values from odd inputs that used to end
in a 500 (`²`, 5,000-digit numbers, 25-digit ids, text longer than any column, formula-like text) mixed with
hypothesis's own text. A fixed small budget runs in the suite on both databases; bench/fuzz_routes.py runs
the same search longer.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sipas.db import session_factory
from sipas.security import BoundedInt
from tests.conftest import login

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
FIELDS = sorted({m for p in TEMPLATES.rglob("*.html") for m in re.findall(r'name="([a-z_0-9]+)"', p.read_text())}
                - {"csrf_token"})
ODD = ["²", "٣", "9" * 5000, "1" * 25, "2147483648", "-1", "0", "", " ", "x" * 300, "=HYPERLINK(\"x\")",
       "LCU-2026", "LCU.STP", "LCU.STP.MC", "SIPAS_2640", "1,2", "0.5,5", "2026-13-45", "S1:9", "../../etc/passwd",
       "<script>x</script>", "１２", "1e309", "nan", "đ" * 200]
SAMPLE = {"code": "LCU-2026", "agency_code": "LCU.STP", "round_code": "LCU-2026", "point_code": "LCU.STP.MC",
          "token": "not-a-token", "job_id": "00000000-0000-0000-0000-000000000000", "filename": "app.css"}
SKIP = {"auth.logout", "static"}
values = st.one_of(st.sampled_from(ODD), st.text(max_size=40), st.integers(-10**30, 10**30).map(str))


def fuzz_routes(app):
    """(endpoint, methods, rule) for every route the fuzzer visits."""
    return [(r.endpoint, sorted(r.methods & {"GET", "POST"}), r) for r in app.url_map.iter_rules()
            if r.endpoint not in SKIP]


def _one_request(client, app, data, routes):
    endpoint, methods, rule = data.draw(st.sampled_from(routes), label="route")
    method = data.draw(st.sampled_from(methods), label="method")
    args = {}
    for name in rule.arguments:
        if isinstance(rule._converters.get(name), BoundedInt):  # ids: small, real and far beyond any column
            args[name] = data.draw(st.integers(0, 10**12), label=name)
        else:
            args[name] = data.draw(st.one_of(st.just(SAMPLE.get(name, "x")), st.sampled_from(ODD[:8])), label=name)
    fields = data.draw(st.dictionaries(st.sampled_from(FIELDS), values, max_size=8), label="fields")
    with app.test_request_context():
        from flask import url_for
        try:
            url = url_for(endpoint, **args)
        except Exception:  # noqa: BLE001 - an argument the route's converter refuses: nothing to send
            return None
    if method == "GET":
        response = client.get(url, query_string=fields)
    else:
        response = client.post(url, data=fields)
    status = response.status_code
    response.close()
    return endpoint, method, url, status


def run_fuzz(app, client, max_examples: int) -> dict:
    """Fuzz `max_examples` requests; returns the counts by status class and the server errors seen."""
    routes = fuzz_routes(app)
    seen: dict = {"requests": 0, "errors": [], "statuses": Counter(), "endpoints": set(),
                  "routes": {endpoint for endpoint, _, _ in routes}}

    @settings(max_examples=max_examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def search(data):
        out = _one_request(client, app, data, routes)
        if out is None:
            return
        seen["requests"] += 1
        seen["statuses"][out[3]] += 1
        seen["endpoints"].add(out[0])
        if out[3] >= 500:
            seen["errors"].append(out)

    search()
    return seen


def _admin_client(app):
    client = app.test_client()
    assert login(client, "admin").status_code == 200
    return client


def test_no_route_or_form_answers_a_server_error_sqlite(demo_app):
    seen = run_fuzz(demo_app, _admin_client(demo_app), max_examples=150)
    assert seen["requests"] > 100 and seen["errors"] == []


@pytest.mark.postgres
def test_no_route_or_form_answers_a_server_error_both_databases(app):
    from sipas.services.demo import load_demo
    s = session_factory(app)()
    load_demo(s, scale=0.1)
    s.commit()
    s.close()
    seen = run_fuzz(app, _admin_client(app), max_examples=100)
    assert seen["requests"] > 60 and seen["errors"] == []
