"""Staff accounts: argon2id password hashes, roles, authentication."""
from __future__ import annotations

import hmac
import threading
import time
from datetime import datetime, timezone

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from sipas.errors import ValidationFailed
from sipas.inputs import too_long
from sipas.messages import N_
from sipas.models import Role, User, UserRole

_hasher = PasswordHasher()
#: argon2 takes about 64 MiB per check: a burst of logins must not multiply the process's memory. The
#: semaphore queues checks beyond the bound (argon2-cffi has no such limit of its own).
_checks = threading.BoundedSemaphore(4)


def bound_password_checks(at_once: int) -> None:
    """Set how many password checks may run at once in this process."""
    global _checks
    _checks = threading.BoundedSemaphore(max(1, at_once))


def _verify(password_hash: str, password: str) -> bool:
    with _checks:
        return _hasher.verify(password_hash, password)
#: The time TOTP codes are checked against (a module attribute, so a test can move it forward).
clock = time.time
#: NIST SP 800-63B: a minimum length and a deny-list of common passwords, no composition rules.
MIN_PASSWORD_LENGTH = 12
COMMON_PASSWORDS = frozenset("""
123456789012 password1234 passwordpassword qwertyuiopas 111111111111 123123123123 abc123456789
matkhau12345 matkhau123456 admin1234567 administrator 1234567890ab iloveyou1234 sipas1234567
quantri12345 vietnam12345 hanoi1234567 123456789abc qwerty123456 changeme1234
""".split())


def password_problem(password: str, username: str = "") -> str | None:
    """Why a password is not acceptable, or None (an English template the pages show in the reader's language)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return N_("The password needs at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)
    if password.lower() in COMMON_PASSWORDS or (username and username.lower() in password.lower()):
        return N_("This password is too easy to guess.")
    return None


def hash_password(password: str) -> str:
    """argon2id hash with argon2-cffi's defaults."""
    return _hasher.hash(password)


def create_user(session: Session, username: str, password: str, roles: list[Role], *, full_name: str = "",
                unit_id: int | None = None, agency_id: int | None = None, check_password: bool = True) -> User:
    """Create a user with roles. Agency managers must be tied to an agency."""
    if check_password and (problem := password_problem(password, username)):
        raise ValidationFailed({"password": problem})
    if Role.AGENCY_MANAGER in roles and agency_id is None:
        raise ValidationFailed({"agency": N_("An agency manager needs an agency.")})
    if not username or (long := too_long(User, {"username": username, "full_name": full_name})):
        raise ValidationFailed(long if username else {"username": N_("A user name is required.")})
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValidationFailed({"username": N_("This user name is already taken.")})
    user = User(username=username, full_name=full_name, password_hash=hash_password(password), unit_id=unit_id,
                agency_id=agency_id, roles=[UserRole(role=r) for r in roles])
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, or None. Rehashes when parameters changed."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        _hasher_dummy_verify()
        return None
    try:
        _verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = datetime.now(timezone.utc)
    session.flush()
    return user


_DUMMY_HASH = _hasher.hash("timing-equaliser")


def _hasher_dummy_verify() -> None:
    # Spend the same time for an unknown user as for a wrong password, so usernames cannot be probed.
    try:
        _verify(_DUMMY_HASH, "x")
    except VerificationError:
        pass


def set_roles(session: Session, user: User, roles: list[Role], agency_id: int | None) -> None:
    """Replace a user's roles (and agency scope). An agency manager must keep an agency."""
    if Role.AGENCY_MANAGER in roles and agency_id is None:
        raise ValidationFailed({"agency": N_("An agency manager needs an agency.")})
    user.roles = [UserRole(role=r) for r in roles]
    user.agency_id = agency_id
    session.flush()


def check_password(user: User, password: str) -> bool:
    """True when `password` is the user's password (argon2 verify; the caller bounds concurrency)."""
    try:
        return _verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def change_password(session: Session, user: User, current: str, new: str, confirm: str) -> None:
    """The owner changes their password: the current one is required; every session of the user ends."""
    problems: dict[str, str] = {}
    if not check_password(user, current):
        problems["current"] = N_("The current password is wrong.")
    elif new != confirm:
        problems["confirm"] = N_("The two new passwords differ.")
    elif new == current:
        problems["new"] = N_("The new password must differ from the old one.")
    elif problem := password_problem(new, user.username):
        problems["new"] = problem
    if problems:
        raise ValidationFailed(problems)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.end_sessions()
    session.flush()


def reset_password(session: Session, user: User, temporary: str) -> None:
    """An admin sets a temporary password: the user's sessions end and the user must change it at next login."""
    if problem := password_problem(temporary, user.username):
        raise ValidationFailed({"password": problem})
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    user.end_sessions()
    session.flush()


def accept_totp(session: Session, user: User, secret: str, code: str) -> bool:
    """True when `code` is valid for `secret` (one step either side) and newer than the last accepted code;
    the step is then recorded, so the same code (or an older one) is never accepted again (RFC 6238 §5.2)."""
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return False
    totp = pyotp.TOTP(secret)
    now = totp.timecode(datetime.fromtimestamp(clock(), timezone.utc))
    for step in (now - 1, now, now + 1):
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            user.totp_last_step = step
            session.flush()
            return True
    return False


def reset_totp(session: Session, user: User) -> None:
    """An admin turns a user's TOTP off (lost phone): the user's sessions end; they can set it up again."""
    user.totp_secret = None
    user.totp_pending = None
    user.totp_last_step = None
    user.end_sessions()
    session.flush()
