"""Storing a file's responses in a round: the rows of a clean table (read and checked by
sipas/services/interchange.py) become responses through the one recording path (sipas/services/responses.py).
"""
from __future__ import annotations

import uuid as uuidlib

import numpy as np
from sqlalchemy import select

from sipas.errors import DuplicateSubmission, ValidationFailed
from sipas.models import Agency, Channel
from sipas.services.interchange import ResponseTable
from sipas.services.responses import Design, Submission, record_response


def import_table(session, rnd, table: ResponseTable, *, default_channel: str = "import") -> tuple[int, int, list[str]]:
    """Store the rows of a clean table as responses of a round; returns (created, already there, problems).

    The response UUID is the file's response_id when it is a UUID, otherwise a UUID derived from the round
    and the response_id, so importing the same file twice adds nothing. Flushes; the caller commits.
    """
    agencies = {a.code: a for a in session.scalars(select(Agency))}
    problems, created, existing = [], 0, 0
    for r in range(len(table)):
        row = table.row_number(r)
        agency = agencies.get(str(table.agency_code[r]))
        if agency is None or agency not in rnd.agencies:
            problems.append(f"row {row}, column agency_code: {table.agency_code[r]!r} does not take part in {rnd.code}")
            continue
        if agency.level.value != table.level[r]:
            problems.append(f"row {row}, column level: {table.level[r]} but {agency.code} is {agency.level.value}")
            continue
        rid = str(table.response_id[r])
        try:
            response_uuid = str(uuidlib.UUID(rid))
        except ValueError:
            response_uuid = str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"sipas:{rnd.code}:{rid}"))
        answers = {code: (None if np.isnan(v) else int(v)) for code, v in zip(table.items, table.values[r])}
        channel = Channel(table.channel[r] or default_channel)
        if channel in (Channel.PAPER_POST, Channel.PAPER_DIRECT):
            channel = Channel.IMPORT  # keyed elsewhere: no surveyor of ours to attach
        try:
            design = Design(table.stratum[r] or None, table.psu[r] or None, float(table.weight[r]))
            submission = Submission(rnd, agency, answers, channel, uuid=response_uuid, design=design)
            result = record_response(session, submission, check_open=False)
        except ValidationFailed as exc:
            details = exc.problems.items() if isinstance(exc.problems, dict) else enumerate(exc.problems)
            problems.extend(f"row {row}, column {k}: {m}" for k, m in details)
            continue
        except DuplicateSubmission:
            problems.append(f"row {row}, column response_id: {rid!r} was imported before with other answers")
            continue
        created += result.created
        existing += not result.created
    return created, existing, problems
