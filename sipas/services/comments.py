"""Citizens' comments as officials read them: personal data masked, scoped to the agencies a person may see,
filtered and searched, and counted by recurring theme.

Masking happens here, before anything is shown or exported (pages, exports): phone numbers, citizen ID numbers
(CCCD/CMND), e-mail addresses and a name given after "tôi là"/"tên tôi là". The stored text is unchanged (retention
deletes it after its months; sipas/services/retention.py), so what no longer exists is never shown.

Themes follow a stated keyword rule (a comment counts for a theme when it contains one of the theme's words,
accents and case ignored), not a word segmenter: the themes are few and fixed, and the rule can be read and checked
by the people who use the counts.

An official marks a comment as handled (who, when, an optional note) and may undo it; both are audited. The
caller (the request boundary) commits.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sipas.errors import NotFound
from sipas.models import Agency, Comment, Response, ResponseStatus, Round, User
from sipas.models.base import utcnow
from sipas.services import audit

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Citizen ID: 9 (CMND) or 12 (CCCD) digits; phone: 10-11 digits, +84 or 0 first, spaces/dots/dashes allowed.
_PHONE = re.compile(r"(?<!\w)(?:\+84|0)(?:[\s.-]?\d){8,10}(?!\w)")
_ID = re.compile(r"(?<!\d)(?:\d{12}|\d{9})(?!\d)")
# A name: up to five capitalised words after "tôi là" / "tên tôi là" / "tên em là" (the cue in any case).
_NAME = re.compile(r"((?i:(?:tên\s+)?tôi\s+là|tên\s+(?:tôi|em|mình)\s*(?:là|:)?))\s+"
                   r"((?:[A-ZĐÀ-Ỹ][^\W\d_]*)(?:\s+[A-ZĐÀ-Ỹ][^\W\d_]*){0,4})")
MASK = "***"

#: (Vietnamese, English) theme -> keywords (accents and case ignored).
THEMES: dict[tuple[str, str], tuple[str, ...]] = {
    ("Thời gian chờ, trễ hẹn", "Waiting, late results"): ("cho lau", "cho doi", "tre hen", "lau qua", "cham",
                                                           "qua han", "xep hang"),
    ("Thái độ cán bộ", "Staff attitude"): ("thai do", "can bo", "nhan vien", "hach dich", "kho chiu", "vui ve",
                                           "nhiet tinh", "than thien"),
    ("Chi phí, phí ngoài quy định", "Fees, unofficial payments"): ("phi", "le phi", "thu tien", "dua tien",
                                                                   "boi duong", "chi phi", "tien nuoc"),
    ("Thủ tục, giấy tờ", "Procedures, paperwork"): ("thu tuc", "giay to", "ho so", "bo sung", "phuc tap"),
    ("Đi lại nhiều lần", "Repeated visits"): ("nhieu lan", "di lai", "quay lai"),
    ("Cơ sở vật chất", "Facilities"): ("cho ngoi", "may moc", "trang thiet bi", "phong cho", "bai xe", "chat hep",
                                       "nong buc"),
    ("Dịch vụ công trực tuyến", "Online services"): ("truc tuyen", "online", "dich vu cong", "website"),
}


def mask(text: str) -> str:
    """The text with personal data replaced by ***: e-mail addresses, phone numbers, ID numbers, a name after
    "tôi là"."""
    text = _EMAIL.sub(MASK, text)
    text = _PHONE.sub(MASK, text)
    text = _ID.sub(MASK, text)
    return _NAME.sub(lambda m: f"{m.group(1)} {MASK}", text)


def _plain(text: str) -> str:
    """Lower case without accents (đ as d): what the keyword rule compares."""
    text = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return "".join(c for c in text if unicodedata.category(c) != "Mn")


def themes_of(text: str) -> list[tuple[str, str]]:
    """The themes a comment touches (keyword rule, whole words)."""
    plain = f" {re.sub(r'[^a-z0-9]+', ' ', _plain(text))} "
    return [theme for theme, keys in THEMES.items() if any(f" {k} " in plain for k in keys)]


def theme_counts(texts) -> list[tuple[tuple[str, str], int]]:
    """Themes by the number of comments touching them, most frequent first (ties by name)."""
    counts = Counter(theme for text in texts for theme in themes_of(text))
    return _ranked(counts)


def _ranked(counts: Counter) -> list[tuple[tuple[str, str], int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0]))


#: What themes_by_agency returns: agency code ("" for all the agencies together) -> themes, most frequent first.
ThemeCounts = dict[str, list[tuple[tuple[str, str], int]]]


def themes_by_agency(session: Session, rnd: Round, *, agency_ids: set[int] | None = None,
                     as_at: datetime | None = None, valid_uuids: set[str] | None = None) -> ThemeCounts:
    """Theme counts of a round's comments (valid responses) per agency and for all of them ("" key): what the
    workbook, the scorecards and the narrative report show. `agency_ids` limits them to some agencies; `as_at`
    counts only the comments received by then; `valid_uuids`: the responses a published version counted (None:
    those valid now), so a published version keeps its counts."""
    query = (select(Agency.code, Comment.text, Response.uuid).join(Response, Response.id == Comment.response_id)
             .join(Agency, Agency.id == Response.agency_id).where(Response.round_id == rnd.id))
    if valid_uuids is None:
        query = query.where(Response.status == ResponseStatus.VALID)
    if agency_ids is not None:
        query = query.where(Agency.id.in_(agency_ids or {-1}))
    if as_at is not None:
        query = query.where(Comment.created_at <= as_at)
    per_agency: dict[str, Counter] = {}
    overall: Counter = Counter()
    for code, text, uuid in session.execute(query):
        if valid_uuids is not None and uuid not in valid_uuids:
            continue
        found = themes_of(text)
        per_agency.setdefault(code, Counter()).update(found)
        overall.update(found)
    return {"": _ranked(overall), **{code: _ranked(c) for code, c in per_agency.items()}}


@dataclass(frozen=True)
class CommentRow:
    """One comment as shown: masked text, when, where, how it came."""

    submitted_at: datetime
    agency_code: str
    agency_name: str
    channel: str
    text: str
    response_id: int = 0
    handled_at: datetime | None = None
    handled_by: str = ""
    handled_note: str = ""


#: The handled filter of the comments page: any, handled only, not handled only.
HANDLED, NOT_HANDLED = "yes", "no"


def _comments_query(rnd: Round, allowed: set[str] | None, agency: str, handled: str):
    query = (select(Comment, Agency.code, Agency.name, Response.channel, User.username)
             .join(Response, Response.id == Comment.response_id).join(Agency, Agency.id == Response.agency_id)
             .outerjoin(User, User.id == Comment.handled_by_id)
             .where(Response.round_id == rnd.id, Response.status == ResponseStatus.VALID)
             .order_by(Comment.created_at.desc(), Comment.response_id.desc()))
    if allowed is not None:
        query = query.where(Agency.code.in_(allowed or {""}))
    if agency:
        query = query.where(Agency.code == agency)
    if handled == HANDLED:
        query = query.where(Comment.handled_at.is_not(None))
    elif handled == NOT_HANDLED:
        query = query.where(Comment.handled_at.is_(None))
    return query


def round_comments(session: Session, rnd: Round, *, allowed: set[str] | None = None, agency: str = "",
                   search: str = "", limit: int | None = None, handled: str = "") -> list[CommentRow]:
    """The comments of a round's valid responses, newest first, masked. `allowed`: the agency codes the reader
    may see (None: all); `agency`: one agency; `search`: words the masked text contains (accents ignored);
    `handled`: HANDLED or NOT_HANDLED to keep only those ("" : all)."""
    needle = _plain(search.strip()) if search else ""
    rows = []
    for comment, code, name, channel, handler in session.execute(_comments_query(rnd, allowed, agency, handled)):
        shown = mask(comment.text)
        if needle and needle not in _plain(shown):
            continue
        rows.append(CommentRow(comment.created_at, code, name, channel.value, shown, comment.response_id,
                               comment.handled_at, handler or "", mask(comment.handled_note or "")))
        if limit is not None and len(rows) >= limit:
            break
    return rows


def _visible_comment(session: Session, rnd: Round, response_id: int, allowed: set[str] | None) -> Comment:
    """The comment of a round's valid response within the reader's agencies (NotFound otherwise: another
    agency's comment is answered as an unknown one)."""
    query = (select(Comment).join(Response, Response.id == Comment.response_id)
             .join(Agency, Agency.id == Response.agency_id)
             .where(Comment.response_id == response_id, Response.round_id == rnd.id,
                    Response.status == ResponseStatus.VALID))
    if allowed is not None:
        query = query.where(Agency.code.in_(allowed or {""}))
    comment = session.scalar(query)
    if comment is None:
        raise NotFound("comment")
    return comment


def mark_handled(session: Session, rnd: Round, response_id: int, user: User, *, note: str = "",
                 allowed: set[str] | None = None, ip: str | None = None) -> Comment:
    """Mark a comment as handled by `user` now, with an optional note (300 characters at most); audited."""
    comment = _visible_comment(session, rnd, response_id, allowed)
    comment.handled_at, comment.handled_by_id = utcnow(), user.id
    comment.handled_note = note.strip()[:300] or None
    audit.record(session, "comment_handled", actor=user, object_type="comment", object_id=response_id, ip=ip,
                 detail={"round": rnd.code, "note": bool(comment.handled_note)})
    return comment


def undo_handled(session: Session, rnd: Round, response_id: int, user: User, *, allowed: set[str] | None = None,
                 ip: str | None = None) -> Comment:
    """Take back a comment's handled mark (it shows as not handled again); audited with who had marked it."""
    comment = _visible_comment(session, rnd, response_id, allowed)
    before = {"handled_by": comment.handled_by_id,
              "handled_at": comment.handled_at.isoformat() if comment.handled_at else None}
    comment.handled_at = comment.handled_by_id = comment.handled_note = None
    audit.record(session, "comment_handled_undone", actor=user, object_type="comment", object_id=response_id,
                 ip=ip, detail={"round": rnd.code, **before})
    return comment
