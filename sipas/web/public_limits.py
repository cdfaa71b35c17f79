"""Rate limits on public-form posts (online link or QR code, invitation), keyed so that nobody can close a link
for everyone and citizens behind one address do not block each other.

Two limits, both per link (a round and agency's public path, or one invitation), kept in Flask-Limiter's
storage (`RATELIMIT_STORAGE_URI`: memory for one process, Redis for several):

- per client: the browser's own random token (kept in its session cookie from the moment the form is shown)
  together with its address; a client without one is keyed by its address and browser headers;
- per address: a wider ceiling, for one sender who keeps fetching fresh cookies; a whole office or mobile
  network behind one proxy address shares it, so it is generous.

There is deliberately no limit on a link as a whole: junk from many addresses is stored flagged by the burst
check and honeypot (never counted), but it cannot lock genuine citizens out. Only posts that would store a
response count: a form sent back with a summary of unanswered questions, an expired page or invalid values
does not.
"""
from __future__ import annotations

import hashlib
import secrets
import time

from flask import current_app, request, session
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse

from sipas.security import limiter

#: Where the browser's own token is kept in the (signed) session cookie.
CLIENT_TOKEN = "client"


def _digest(*parts: str) -> str:
    # Keys end up in shared storage (Redis): no invitation token or address in clear, and a bounded length.
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "replace")).hexdigest()[:32]


def remember_client() -> None:
    """Give this browser a random token when it first sees a form (the key of its own limit)."""
    if CLIENT_TOKEN not in session:
        session[CLIENT_TOKEN] = secrets.token_urlsafe(12)


def link_key() -> str:
    """The public form being posted to: its path (one round, agency and point, or one invitation)."""
    return _digest("link", request.path)


def client_key() -> str:
    """The sender: the browser's token and its address; without a token, its address and browser headers."""
    token = session.get(CLIENT_TOKEN)
    if isinstance(token, str) and token:
        return _digest("token", token, get_remote_address())
    return _digest("headers", get_remote_address(), request.headers.get("User-Agent", ""),
                   request.headers.get("Accept-Language", ""))


def address_key() -> str:
    """The sender's address (the real one behind trusted proxies: SIPAS_TRUSTED_PROXY_HOPS)."""
    return _digest("address", get_remote_address())


def _limits() -> list[tuple[RateLimitItem, str]]:
    config = current_app.config
    return [(parse(config["PUBLIC_POSTS_PER_CLIENT"]), client_key()),
            (parse(config["PUBLIC_POSTS_PER_ADDRESS"]), address_key())]


def wait_before_post() -> int | None:
    """Seconds this sender must wait before a post to this link counts, or None: then the post is counted.

    A refused post is not counted, so waiting is enough to be let through again."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return None
    strategy, link = limiter.limiter, link_key()
    waits = []
    for item, key in _limits():
        if not strategy.test(item, "public-post", link, key):
            reset = strategy.get_window_stats(item, "public-post", link, key).reset_time
            waits.append(max(1, int(reset - time.time()) + 1))
    if waits:
        return max(waits)
    for item, key in _limits():
        strategy.hit(item, "public-post", link, key)
    return None
