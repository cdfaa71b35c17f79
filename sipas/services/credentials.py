"""Kiosk device tokens and API keys: random tokens shown once, stored only as SHA-256 hashes.

The tokens are 256-bit random values, so a fast hash is safe here (unlike passwords, which use argon2).
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session, joinedload

from sipas.errors import NotFound, ValidationFailed
from sipas.models import Agency, ApiKey, KioskDevice, Response, ServicePoint
from sipas.services import lookups

KIOSK_PREFIX, API_PREFIX = "kd_", "ak_"
#: The cookie that holds an enrolled tablet's device token (HttpOnly, SameSite=Strict).
KIOSK_COOKIE = "sipas_kiosk"


def token_hash(token: str) -> str:
    """SHA-256 hex of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def enrol_kiosk(session: Session, service_point_code: str, name: str | None = None) -> tuple[KioskDevice, str]:
    """Enrol a tablet at a service point; returns the device and its token (shown once)."""
    point = session.scalar(select(ServicePoint).where(ServicePoint.code == service_point_code))
    if point is None:
        raise NotFound(f"no service point {service_point_code!r}")
    token = KIOSK_PREFIX + secrets.token_urlsafe(32)
    device = KioskDevice(name=name or f"Kiosk {point.code}", service_point=point, token_hash=token_hash(token))
    session.add(device)
    session.flush()
    return device, token


#: Enrolment codes are typed by staff on a tablet: no look-alike characters (0/O, 1/I/L), grouped for reading.
#: 8 characters of 31 give about 40 bits; a code works once and for ENROL_CODE_MINUTES, and the form is rate-limited.
ENROL_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
ENROL_CODE_LENGTH = 8
ENROL_CODE_MINUTES = 15


def normalise_enrol_code(code: str) -> str:
    """The code as stored: capitals, without the spaces and dashes people type between groups."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def issue_enrolment_code(device: KioskDevice, now: datetime | None = None,
                         minutes: int = ENROL_CODE_MINUTES) -> str:
    """A new one-time enrolment code for a device (replacing any earlier one), shown once as ``ABCD-EFGH``."""
    now = now or datetime.now(timezone.utc)
    raw = "".join(secrets.choice(ENROL_ALPHABET) for _ in range(ENROL_CODE_LENGTH))
    device.enrol_code_hash = token_hash(raw)
    device.enrol_code_expires_at = now + timedelta(minutes=minutes)
    half = ENROL_CODE_LENGTH // 2
    return f"{raw[:half]}-{raw[half:]}"


def redeem_enrolment_code(session: Session, code: str, now: datetime | None = None) -> tuple[KioskDevice, str] | None:
    """Exchange a valid, unexpired enrolment code for a new device token (the caller puts it in the cookie).

    The code is spent and any earlier token of the device stops working: one tablet per enrolment."""
    raw = normalise_enrol_code(code)
    if len(raw) != ENROL_CODE_LENGTH or any(ch not in ENROL_ALPHABET for ch in raw):
        return None
    device = session.scalar(select(KioskDevice).where(KioskDevice.enrol_code_hash == token_hash(raw)))
    if device is None or device.revoked_at is not None or device.enrol_code_expires_at is None:
        return None
    now = now or datetime.now(timezone.utc)
    expires = device.enrol_code_expires_at
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=timezone.utc)  # SQLite hands back naive UTC
    device.enrol_code_hash = None
    device.enrol_code_expires_at = None
    if now >= expires:
        return None
    token = KIOSK_PREFIX + secrets.token_urlsafe(32)
    device.token_hash = token_hash(token)
    return device, token


#: Channels an API key may declare. Kiosk ratings come through enrolled devices (with their sequence numbers)
#: and paper forms through double keying, never through a key.
API_KEY_CHANNELS = ("api", "online", "invitation", "interview", "import")


def create_api_key(session: Session, name: str, agency_code: str | None = None,
                   channels: list[str] | tuple[str, ...] = ("api",)) -> tuple[ApiKey, str]:
    """Issue an API key for the declared channels (default `api`), optionally limited to one agency and those
    under it; returns it and the key (shown once). ValidationFailed for a channel a key may not use."""
    wanted = sorted(set(channels)) or ["api"]
    bad = [c for c in wanted if c not in API_KEY_CHANNELS]
    if bad:
        raise ValidationFailed({"channels": f"{', '.join(bad)}: an API key may use {', '.join(API_KEY_CHANNELS)}"})
    agency_id = None
    if agency_code:
        agency = session.scalar(select(Agency).where(Agency.code == agency_code))
        if agency is None:
            raise NotFound(f"no agency {agency_code!r}")
        agency_id = agency.id
    token = API_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name, key_hash=token_hash(token), agency_id=agency_id, channels=wanted)
    session.add(key)
    session.flush()
    return key, token


# Built once (every API call authenticates). Kiosks: the service point and agency come in the same query.
_BY_TOKEN: dict[type[KioskDevice] | type[ApiKey], Select[KioskDevice] | Select[ApiKey]] = {
    KioskDevice: select(KioskDevice).where(KioskDevice.token_hash == bindparam("hash")).options(
        joinedload(KioskDevice.service_point).joinedload(ServicePoint.agency)),
    ApiKey: select(ApiKey).where(ApiKey.key_hash == bindparam("hash")),
}


def _model(token: str | None) -> type[KioskDevice] | type[ApiKey] | None:
    """Which kind of credential a token claims to be, by its prefix (None: neither, or no token)."""
    if not token:
        return None
    return KioskDevice if token.startswith(KIOSK_PREFIX) else ApiKey if token.startswith(API_PREFIX) else None


def authenticate_row(session: Session, token: str | None) -> lookups.DeviceRow | lookups.KeyRow | None:
    """The active device or key for a bearer token as a cached row (the API's hot path), or None. A revocation
    made by another worker takes effect within LOOKUP_TTL_SECONDS (sipas.services.lookups)."""
    model = _model(token)
    if model is None or token is None:
        return None
    return lookups.credential(session, token_hash(token), kiosk=model is KioskDevice)


def authenticate(session: Session, token: str | None) -> KioskDevice | ApiKey | None:
    """The active device or key for a bearer token, or None."""
    model = _model(token)
    if model is None or token is None:
        return None
    found: KioskDevice | ApiKey | None = session.scalar(_BY_TOKEN[model], {"hash": token_hash(token)})
    if found is None or found.revoked_at is not None:
        return None
    return found


def note_seen(device: KioskDevice, now: datetime | None = None) -> None:
    """Record that a kiosk was heard from; at most once a minute, so a busy kiosk does not rewrite its row
    with every rating (the admin page shows minutes, not seconds)."""
    now = now or datetime.now(timezone.utc)
    last = device.last_seen_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=timezone.utc)  # SQLite hands back naive UTC
    if last is None or (now - last).total_seconds() >= 60:
        device.last_seen_at = now


def revoke(credential: KioskDevice | ApiKey) -> None:
    """Revoke a device or key at once (the caller commits)."""
    credential.revoked_at = datetime.now(timezone.utc)


def device_gaps(session: Session, device: KioskDevice) -> list[tuple[int, int]]:
    """Ranges of missing per-device sequence numbers (lost responses), as (first, last) pairs."""
    seqs = sorted(seq for seq in session.scalars(select(Response.device_seq).where(
        Response.device_id == device.id, Response.device_seq.is_not(None))) if seq is not None)
    gaps, expected = [], 1
    for seq in seqs:
        if seq > expected:
            gaps.append((expected, seq - 1))
        expected = max(expected, seq + 1)
    return gaps
