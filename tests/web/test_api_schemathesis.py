"""Schemathesis against /api/v1/openapi.json: generated requests never cause a 500, and every answer matches
the documented status codes, content type and response schema (with and without a valid kiosk token).

Cases are drawn from schemathesis's strategies with hypothesis directly (its pytest plugin does not work
with pytest 9 here).
"""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)

from sipas.services import credentials
from tests.factories import make_round

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_api_conforms_to_its_openapi_document(app, session):
    make_round(session, profile="KIOSK_RT", channels=("kiosk", "online"), code="K-1")
    _, token = credentials.enrol_kiosk(session, "T.A0.MC")
    session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert [op.path for op in operations] == ["/responses"]
    strategy = st.one_of([op.as_strategy() for op in operations])
    calls = []

    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=strategy, authorised=st.booleans())
    def run(case, authorised):
        headers = {"Authorization": f"Bearer {token}"} if authorised else {}
        case.call_and_validate(headers=headers, checks=CHECKS)
        calls.append(authorised)

    run()
    assert len(calls) >= 80 and any(calls) and not all(calls)
