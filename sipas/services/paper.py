"""Paper forms keyed twice (blind double entry) and adjudicated; only verified forms become responses.

Pass 1 and pass 2 are keyed by different people, neither seeing the other's values. When both exist they
are compared field by field: identical -> the response is stored; different -> the form waits in the
adjudication queue until a verifier picks or corrects each differing value.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import surveys
from sipas.errors import ValidationFailed
from sipas.inputs import too_long, whole_number
from sipas.models import Agency, Channel, Invitation, PaperBatch, PaperEntry, PaperForm, PaperFormStatus, Round, User
from sipas.services.responses import Design, Origin, Submission, record_response

COMMENT = "comment"


def serial_for(rnd: Round, number: int) -> str:
    """The serial printed on blank form number `number` of a round."""
    return f"{rnd.code}-{number:06d}"


def open_batch(session: Session, rnd: Round, agency: Agency, box_number: str, expected_count: int, channel: str,
               user: User) -> PaperBatch:
    """Open a batch (a box of returned forms) for keying."""
    problems = {}
    if agency not in rnd.agencies:
        problems["agency"] = f"{agency.code} does not take part in {rnd.code}"
    if not box_number.strip():
        problems["box_number"] = "Cần số hộp / box number required"
    problems.update(too_long(PaperBatch, {"box_number": box_number.strip()}))
    if not 1 <= expected_count <= 100_000:
        problems["expected_count"] = "1..100000"
    if channel not in (Channel.PAPER_POST.value, Channel.PAPER_DIRECT.value):
        problems["channel"] = "paper_post or paper_direct"
    if problems:
        raise ValidationFailed(problems)
    batch = PaperBatch(round_id=rnd.id, agency_id=agency.id, box_number=box_number.strip(),
                       expected_count=expected_count, channel=channel, opened_by_id=user.id)
    session.add(batch)
    session.flush()
    return batch


def parse_entry(profile: surveys.Profile, raw: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """Keyed strings -> (answers with None for blanks, problems per field). Messages are bilingual."""
    answers: dict[str, int | None] = {}
    problems: dict[str, str] = {}
    for item in entry_items(profile):
        text = (raw.get(item.code) or "").strip()
        if text == "":
            answers[item.code] = None
            continue
        if whole_number(text) not in item.scale.values:
            allowed = ", ".join(str(v) for v in sorted(item.scale.values))
            problems[item.code] = f"{text!r}: chỉ nhận {allowed} hoặc để trống / only {allowed} or blank"
            continue
        answers[item.code] = whole_number(text)
    _, block_problems = surveys.check_answers(profile, {k: v for k, v in answers.items() if v is not None})
    problems.update({k: v for k, v in block_problems.items() if k not in problems})
    return answers, problems


def entry_items(profile: surveys.Profile) -> list:
    """Items keyed from paper, in the order they appear on the form."""
    return [i for i in profile.items]


def key_form(session: Session, batch: PaperBatch, serial: str, raw: dict[str, str], pass_no: int, user: User,
             comment: str = "") -> PaperForm:
    """Store one pass of one form; compare when both passes exist. Raises ValidationFailed (nothing stored)."""
    rnd = session.get_one(Round, batch.round_id)
    profile = surveys.load(rnd.profile_key)
    serial = serial.strip().upper()
    problems: dict[str, str] = {}
    if not serial.startswith(f"{rnd.code}-"):
        problems["serial"] = f"Số phiếu phải bắt đầu bằng {rnd.code}- / serial must start with {rnd.code}-"
    if pass_no not in (1, 2):
        problems["pass"] = "1 or 2"
    answers, answer_problems = parse_entry(profile, raw)
    problems.update(answer_problems)
    form = session.scalar(select(PaperForm).where(PaperForm.batch_id == batch.id, PaperForm.serial == serial))
    if form is not None and not problems:
        if any(e.pass_no == pass_no for e in form.entries):
            problems["serial"] = f"Phiếu {serial} đã được nhập ở lượt {pass_no} / already keyed in pass {pass_no}"
        elif any(e.user_id == user.id for e in form.entries):
            problems["serial"] = ("Lượt nhập thứ hai phải do người khác thực hiện / "
                                  "the second pass must be keyed by someone else")
    other_batch = session.scalar(select(PaperForm.batch_id).join(PaperBatch).where(
        PaperForm.serial == serial, PaperBatch.round_id == rnd.id, PaperForm.batch_id != batch.id))
    if other_batch is not None:
        problems["serial"] = f"Phiếu {serial} thuộc hộp khác / belongs to another batch"
    if problems:
        raise ValidationFailed(problems)
    if form is None:
        form = PaperForm(batch_id=batch.id, serial=serial, status=PaperFormStatus.FIRST_KEYED)
        session.add(form)
    form.entries.append(PaperEntry(pass_no=pass_no, user_id=user.id,
                                   answers={**answers, COMMENT: (comment or "").strip()}))
    session.flush()
    if len(form.entries) == 2:
        if differences(form):
            form.status = PaperFormStatus.MISMATCH
        else:
            _verify(session, batch, form, form.entries[0].answers, verifier=None)
    session.flush()
    return form


def differences(form: PaperForm) -> list[tuple[str, object, object]]:
    """Fields where pass 1 and pass 2 disagree: (code, pass 1 value, pass 2 value)."""
    first, second = (e.answers for e in sorted(form.entries, key=lambda e: e.pass_no))
    codes = sorted(set(first) | set(second))
    return [(c, first.get(c), second.get(c)) for c in codes if first.get(c) != second.get(c)]


KEYED_IT_YOURSELF = ("Bạn đã nhập một lượt của phiếu này nên không thể phân xử / you keyed one pass of this "
                     "form, so someone else must adjudicate it")


def may_adjudicate(form: PaperForm, user: User) -> bool:
    """Whoever keyed either pass of a form may not settle its differences (the four-eyes rule)."""
    return all(e.user_id != user.id for e in form.entries)


def adjudicate(session: Session, form: PaperForm, decisions: dict[str, str], verifier: User) -> PaperForm:
    """A verifier settles each differing field; the form is then verified and its response stored."""
    if form.status is not PaperFormStatus.MISMATCH:
        raise ValidationFailed({"form": "this form is not waiting for adjudication"})
    if not may_adjudicate(form, verifier):
        raise ValidationFailed({"form": KEYED_IT_YOURSELF})
    batch = session.get_one(PaperBatch, form.batch_id)
    profile = surveys.load(session.get_one(Round, batch.round_id).profile_key)
    final = dict(sorted(form.entries, key=lambda e: e.pass_no)[0].answers)
    problems = {}
    for code, _, _ in differences(form):
        if code not in decisions:
            problems[code] = "Chưa chọn giá trị / choose a value"
            continue
        if code == COMMENT:
            final[code] = decisions[code].strip()
            continue
        value = decisions[code].strip()
        item = profile.item(code)
        if value == "":
            final[code] = None
        elif whole_number(value) in item.scale.values:
            final[code] = whole_number(value)
        else:
            problems[code] = f"{value!r} không thuộc thang đo / not on the scale"
    if problems:
        raise ValidationFailed(problems)
    _, block_problems = surveys.check_answers(profile, {k: v for k, v in final.items()
                                                         if k != COMMENT and v is not None})
    if block_problems:
        raise ValidationFailed(block_problems)
    _verify(session, batch, form, final, verifier=verifier)
    return form


def _verify(session: Session, batch: PaperBatch, form: PaperForm, answers: dict, verifier: User | None) -> None:
    rnd = session.get_one(Round, batch.round_id)
    agency = session.get_one(Agency, batch.agency_id)
    keyed_by = sorted(form.entries, key=lambda e: e.pass_no)[0].user_id
    profile = surveys.load(rnd.profile_key)
    values = surveys.complete_blocks(profile, {k: v for k, v in answers.items() if k != COMMENT})
    # A form mailed to a sampled dossier carries that dossier's invitation serial: its stratum, PSU and
    # weight come with it, and the invitation is used up (one response per sampled dossier, paper or online).
    invitation = session.scalar(select(Invitation).where(Invitation.round_id == rnd.id,
                                                         Invitation.serial == form.serial))
    if invitation is not None and invitation.used_at is not None:
        raise ValidationFailed({"serial": f"Phiếu {form.serial} đã được trả lời trực tuyến / already answered online"})
    design = (Design(invitation.stratum, invitation.psu, invitation.weight)
              if invitation is not None else Design(stratum=agency.level.value))
    submission = Submission(rnd, agency, values, Channel(batch.channel), comment=answers.get(COMMENT) or None,
                            design=design, origin=Origin(entered_by_id=keyed_by, batch_id=batch.id))
    result = record_response(session, submission, check_open=False)
    if invitation is not None:
        from sipas.services.invitations import mark_used
        mark_used(session, invitation, result.response)
    form.response_id = result.response.id
    form.status = PaperFormStatus.VERIFIED
    form.verified_by_id = verifier.id if verifier else None
    form.updated_at = datetime.now(timezone.utc)
    session.flush()


@dataclass(frozen=True)
class BatchProgress:
    """How far a batch is: keyed per pass, verified, waiting for adjudication, against the expected count."""

    expected: int
    first: int
    second: int
    verified: int
    mismatches: int

    @property
    def complete(self) -> bool:
        """Every expected form is verified."""
        return self.verified >= self.expected


def progress(session: Session, batch: PaperBatch) -> BatchProgress:
    """Counts for the batch page."""
    per_pass = dict(session.execute(select(PaperEntry.pass_no, func.count()).join(PaperForm)
                                    .where(PaperForm.batch_id == batch.id).group_by(PaperEntry.pass_no)).all())
    per_status = dict(session.execute(select(PaperForm.status, func.count()).where(PaperForm.batch_id == batch.id)
                                      .group_by(PaperForm.status)).all())
    return BatchProgress(batch.expected_count, per_pass.get(1, 0), per_pass.get(2, 0),
                         per_status.get(PaperFormStatus.VERIFIED, 0), per_status.get(PaperFormStatus.MISMATCH, 0))
