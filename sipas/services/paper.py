"""Paper forms keyed twice (blind double entry) and adjudicated; only verified forms become responses.

Pass 1 and pass 2 are keyed by different people, neither seeing the other's values. When both exist they
are compared field by field: identical -> the response is stored; different -> the form waits in the
adjudication queue until a verifier picks or corrects each differing value.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import surveys
from sipas.errors import ValidationFailed
from sipas.inputs import too_long, whole_number
from sipas.messages import N_
from sipas.models import Agency, Channel, Invitation, PaperBatch, PaperEntry, PaperForm, PaperFormStatus, Round, User
from sipas.services.invitations import mark_used
from sipas.services.responses import Design, Origin, Submission, record_response

COMMENT = "comment"


def serial_for(rnd: Round, number: int) -> str:
    """The serial printed on blank form number `number` of a round."""
    return f"{rnd.code}-{number:06d}"


def open_batch(session: Session, rnd: Round, agency: Agency, box_number: str, expected_count: int, channel: str,
               user: User) -> PaperBatch:
    """Open a batch (a box of returned forms) for keying."""
    problems: dict[str, str] = {}
    if agency not in rnd.agencies:
        problems["agency"] = N_("%(agency)s does not take part in this round.", agency=agency.name)
    if not box_number.strip():
        problems["box_number"] = N_("Type the number written on the box.")
    problems.update(too_long(PaperBatch, {"box_number": box_number.strip()}))
    if not 1 <= expected_count <= 100_000:
        problems["expected_count"] = N_("Type how many forms the box holds (1 to 100,000).")
    if channel not in (Channel.PAPER_POST.value, Channel.PAPER_DIRECT.value):
        problems["channel"] = N_("Choose how the forms came back.")
    if problems:
        raise ValidationFailed(problems)
    batch = PaperBatch(round_id=rnd.id, agency_id=agency.id, box_number=box_number.strip(),
                       expected_count=expected_count, channel=channel, opened_by_id=user.id)
    session.add(batch)
    session.flush()
    return batch


def agency_named(rnd: Round, typed: str) -> Agency:
    """The round's agency a keyer chose by its name (the list offers names; the code is what is stored).

    A name shared by agencies of several places is chosen with its place (agency_choices); a code is accepted
    too (whoever has it on the box label). Case and spacing do not matter.
    """
    def plain(text: str) -> str:
        return " ".join(text.split()).casefold()

    wanted = plain(typed or "")
    found = [a for a in rnd.agencies if wanted in (plain(a.name), plain(agency_label(a)), a.code.casefold())]
    if not wanted or len(found) != 1:
        raise ValidationFailed({"agency": N_("Choose the agency from the list (type part of its name).")})
    return found[0]


def agency_label(agency: Agency) -> str:
    """An agency's name with its place, for lists where one name is used in several provinces (Sở Tư pháp)."""
    return f"{agency.name} ({agency.unit.name})"


def agency_choices(agencies: list[Agency]) -> list[str]:
    """What the agency list offers: each name, with its place only where two agencies share the name."""
    names = [a.name for a in agencies]
    return sorted(a.name if names.count(a.name) == 1 else agency_label(a) for a in agencies)


def parse_entry(profile: surveys.Profile, raw: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """Keyed strings -> (answers with None for blanks, problems per field or block)."""
    answers, problems = keyed_values(profile, {item.code: (raw.get(item.code) or "").strip()
                                               for item in entry_items(profile)})
    problems.update(too_many_ticked(profile, answers))
    return answers, problems


def keyed_values(profile: surveys.Profile, typed: dict[str, str]) -> tuple[dict[str, int | None], dict[str, str]]:
    """Typed boxes (stripped) -> (their values, None for blanks; problems of the boxes that hold no answer).

    Whether a value answers its question is the profile validator's rule (surveys.check_answers); keying adds
    that a box holds ASCII digits only, and says what to type in the keyer's words."""
    numbers = {code: whole_number(text) for code, text in typed.items() if text}
    _, refused = surveys.check_answers(profile, {c: v for c, v in numbers.items() if v is not None})
    answers: dict[str, int | None] = {}
    problems: dict[str, str] = {}
    for code, text in typed.items():
        if text and (numbers[code] is None or code in refused):
            problems[code] = N_("%(value)s is not an answer to this question: type %(allowed)s, or leave the "
                                "box empty.", value=text[:8], allowed=allowed_values(profile.item(code)))
        else:
            answers[code] = numbers.get(code)
    return answers, problems


def too_many_ticked(profile: surveys.Profile, answers: dict) -> dict[str, str]:
    """Multiple-choice questions with more options ticked (keyed 1) than the question allows (the rule of
    surveys.check_answers, in the keyer's words)."""
    _, refused = surveys.check_answers(profile, {c: v for c, v in answers.items() if profile.has_item(c)})
    problems: dict[str, str] = {}
    for block in profile.blocks:
        if block.code in refused:
            ticked = sum(1 for i in profile.block_items(block.code) if answers.get(i.code) == 1)
            problems[block.code] = N_("At most %(n)s choices may be ticked in this question; %(ticked)s are keyed.",
                                      n=block.max_choices, ticked=ticked)
    return problems


def allowed_values(item) -> str:
    """The digits a box accepts, as the keyer reads them ("1, 2, 3, 4, 5")."""
    return ", ".join(str(v) for v in sorted(item.scale.values))


def entry_items(profile: surveys.Profile) -> list:
    """Items keyed from paper, in the order they appear on the form."""
    return [i for i in profile.items]


#: What the keyer types in the serial box after the round's prefix: a form number, or "I" and a number for the
#: form mailed to a sampled dossier (its invitation serial). Leading zeros are optional.
TYPED_NUMBER = re.compile(r"(I?)([0-9]{1,9})")
#: A whole serial after the round's prefix (serial_for pads numbers to six digits; invitations use "I").
SERIAL_REST = re.compile(r"I?[0-9]{6,9}")
BLANK_FORM = N_("Every box is empty. If the form came back blank, save again to store it as a blank form.")


def full_serial(rnd: Round, typed: str) -> str:
    """The serial a keyer means: the number alone (the page shows the round's prefix), or the whole serial."""
    text = "".join((typed or "").split()).upper()
    number = TYPED_NUMBER.fullmatch(text)
    if number:
        return f"{rnd.code}-{number.group(1)}{int(number.group(2)):06d}"
    return text


def serial_problems(session: Session, rnd: Round, batch: PaperBatch, serial: str, pass_no: int,
                    user: User) -> dict[str, str]:
    """The one rule for a serial, asked as soon as it is typed (the keying page) and again at Save.

    A serial is the round's prefix and a form number (or an invitation serial the round printed); a form is
    keyed in one batch only, once per pass, and its two passes by two different people.
    """
    prefix = f"{rnd.code}-"
    if not serial:
        return {"serial": N_("Type the number printed on the form.")}
    if not serial.startswith(prefix):
        return {"serial": N_("This form does not belong to this round: its serial must start with %(prefix)s.",
                             prefix=prefix)}
    if not SERIAL_REST.fullmatch(serial[len(prefix):]):
        return {"serial": N_("%(serial)s is not a form serial: type the number printed on the form.",
                             serial=serial[:60])}
    if serial[len(prefix)] == "I" and session.scalar(select(Invitation.id).where(
            Invitation.round_id == rnd.id, Invitation.serial == serial)) is None:
        return {"serial": N_("No form with serial %(serial)s was printed for this round: check the number.",
                             serial=serial)}
    form = session.scalar(select(PaperForm).where(PaperForm.serial == serial))
    if form is None:
        return {}
    if form.batch_id != batch.id:
        box = session.scalar(select(PaperBatch.box_number).where(PaperBatch.id == form.batch_id))
        return {"serial": N_("Form %(serial)s is already being keyed in box %(box)s: key it there.",
                             serial=serial, box=box)}
    if any(e.pass_no == pass_no for e in form.entries):
        return {"serial": N_("Form %(serial)s was already keyed in pass %(n)s.", serial=serial, n=pass_no)}
    if any(e.user_id == user.id for e in form.entries):
        return {"serial": N_("You keyed the other pass of form %(serial)s: the second pass must be keyed by "
                             "someone else.", serial=serial)}
    return {}


def key_form(session: Session, batch: PaperBatch, serial: str, raw: dict[str, str], pass_no: int, user: User,
             comment: str = "", blank_confirmed: bool = False) -> PaperForm:
    """Store one pass of one form; compare when both passes exist.

    Raises ValidationFailed with nothing stored; after a refusal the caller rolls the session back (a form
    keyed at the same moment elsewhere is refused by the database's unique indexes, which ends the transaction).
    An all-blank form is stored only when `blank_confirmed` (the keyer saw the warning and saved again).
    """
    rnd = session.get_one(Round, batch.round_id)
    if pass_no not in (1, 2):
        raise ValidationFailed({"pass": "1 or 2"})
    serial = full_serial(rnd, serial)
    problems = serial_problems(session, rnd, batch, serial, pass_no, user)
    answers, answer_problems = parse_entry(surveys.load(rnd.profile_key), raw)
    problems.update(answer_problems)
    comment = (comment or "").strip()
    if not problems and not blank_confirmed and not comment and all(v is None for v in answers.values()):
        problems["blank"] = BLANK_FORM
    if problems:
        raise ValidationFailed(problems)
    form = _store_pass(session, batch, serial, PaperEntry(pass_no=pass_no, user_id=user.id,
                                                          answers={**answers, COMMENT: comment}))
    if len(form.entries) == 2:
        if differences(form):
            form.status = PaperFormStatus.MISMATCH
        else:
            _verify(session, batch, form, form.entries[0].answers, verifier=None)
    session.flush()
    return form


def _store_pass(session: Session, batch: PaperBatch, serial: str, entry: PaperEntry) -> PaperForm:
    """Add the pass (and the form at its first pass). The checks above ran on what was committed when they read;
    the unique indexes on a form's serial and on (form, pass) and (form, keyer) settle two keyings at once."""
    form = session.scalar(select(PaperForm).where(PaperForm.serial == serial))
    if form is None:
        form = PaperForm(batch_id=batch.id, serial=serial, status=PaperFormStatus.FIRST_KEYED)
        session.add(form)
    form.entries.append(entry)
    try:
        session.flush()
    except IntegrityError as exc:
        raise ValidationFailed({"serial": N_("Form %(serial)s was being keyed somewhere else at the same moment, "
                                             "so this pass was not saved: look at the batch, then key it again "
                                             "if it is still missing.", serial=serial)}) from exc
    return form


def differences(form: PaperForm) -> list[tuple[str, object, object]]:
    """Fields where pass 1 and pass 2 disagree: (code, pass 1 value, pass 2 value)."""
    first, second = (e.answers for e in sorted(form.entries, key=lambda e: e.pass_no))
    codes = sorted(set(first) | set(second))
    return [(c, first.get(c), second.get(c)) for c in codes if first.get(c) != second.get(c)]


KEYED_IT_YOURSELF = N_("You keyed one pass of this form, so someone else must adjudicate it.")


def may_adjudicate(form: PaperForm, user: User) -> bool:
    """Whoever keyed either pass of a form may not settle its differences (the four-eyes rule)."""
    return all(e.user_id != user.id for e in form.entries)


def adjudicate(session: Session, form: PaperForm, decisions: dict[str, str], verifier: User) -> PaperForm:
    """A verifier settles each differing field; the form is then verified and its response stored."""
    if form.status is not PaperFormStatus.MISMATCH:
        raise ValidationFailed({"form": N_("This form is not waiting for adjudication.")})
    if not may_adjudicate(form, verifier):
        raise ValidationFailed({"form": KEYED_IT_YOURSELF})
    batch = session.get_one(PaperBatch, form.batch_id)
    profile = surveys.load(session.get_one(Round, batch.round_id).profile_key)
    final = dict(sorted(form.entries, key=lambda e: e.pass_no)[0].answers)
    problems: dict[str, str] = {}
    for code, _, _ in differences(form):
        if code not in decisions:
            problems[code] = N_("Choose a value.")
            continue
        if code == COMMENT:
            final[code] = decisions[code].strip()
            continue
        values, value_problems = keyed_values(profile, {code: decisions[code].strip()})
        problems.update(value_problems)
        final.update(values)
    if problems:
        raise ValidationFailed(problems)
    block_problems = too_many_ticked(profile, final)
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
        raise ValidationFailed({"serial": N_("Form %(serial)s was already answered online.", serial=form.serial)})
    design = (Design(invitation.stratum, invitation.psu, invitation.weight)
              if invitation is not None else Design(stratum=agency.level.value))
    submission = Submission(rnd, agency, values, Channel(batch.channel), comment=answers.get(COMMENT) or None,
                            design=design, origin=Origin(entered_by_id=keyed_by, batch_id=batch.id))
    result = record_response(session, submission, check_open=False)
    if invitation is not None:
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
