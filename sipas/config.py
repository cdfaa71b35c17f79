"""Configuration: one Defaults class; secrets and site settings come from SIPAS_* variables."""
from __future__ import annotations


class Defaults:
    """Settings every deployment starts from. Override with SIPAS_<NAME> environment variables."""

    #: SQLAlchemy URL. None means the embedded default: SQLite under the instance folder.
    DATABASE_URL: str | None = None
    #: Flask's signing key. None means: generate one and keep it in instance/secret_key.
    SECRET_KEY: str | None = None
    #: Vietnamese first; English is the one other language shipped.
    BABEL_DEFAULT_LOCALE = "vi"
    LANGUAGES = ("vi", "en")
    BABEL_TRANSLATION_DIRECTORIES = "translations"
    #: Load the Lai Châu demo on first start of the embedded default.
    DEMO_ON_FIRST_START = True
    #: Kiosk pages stay open for days; their HTML path is protected by the device token instead
    #: of a time-limited CSRF token (docs/collection.md). Staff forms keep the hour.
    WTF_CSRF_TIME_LIMIT = 3600
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    #: Rate-limit storage; "memory://" for one process, "redis://..." for several app servers.
    RATELIMIT_STORAGE_URI = "memory://"
    #: Public-form posts that store a response, per link: per browser (its own token and address), and per
    #: address (a wide ceiling: citizens behind one proxy share it). No limit closes a link for everyone.
    PUBLIC_POSTS_PER_CLIENT = "20 per hour"
    PUBLIC_POSTS_PER_ADDRESS = "300 per hour"
    #: How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host (werkzeug ProxyFix).
    #: 0 (default): the headers are ignored, so nobody can fake an address. Behind one nginx: 1.
    TRUSTED_PROXY_HOPS = 0
    #: PostgreSQL: seconds to wait for a connection (connecting, or from the pool) before answering 503.
    DB_CONNECT_TIMEOUT = 3
    #: PostgreSQL: seconds a statement of a web request may run (or wait for a lock) before it is cancelled
    #: and the request answered 503 with Retry-After. Background jobs and CLI commands are not limited. 0: off.
    DB_STATEMENT_TIMEOUT = 4
    #: Seconds a worker keeps what every submission reads (credentials, open rounds, participation) before asking
    #: the database again: revoking a kiosk, closing a round or removing an agency takes effect within this time
    #: on every worker (at once on the worker that made the change). 0: ask every time.
    LOOKUP_TTL_SECONDS = 5.0
    #: At most this many argon2 password checks run at once per process (each takes about 64 MiB).
    PASSWORD_CHECKS_AT_ONCE = 4
    #: Key for the keyed hash of dossier codes (never stored in clear). Derived from SECRET_KEY if unset.
    DOSSIER_HASH_KEY: str | None = None
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    #: `sipas analyze FILE`: the most rows (header included) of a local file. Uploads keep their own, smaller
    #: limit (interchange.MAX_ROWS); the analyst's file is read block by block, about 0.5 GiB per million rows.
    ANALYZE_MAX_ROWS = 20_000_000
    #: SQLite only: FULL (a confirmed response survives a power cut) or NORMAL (faster; survives a crash of
    #: the app but may lose the last commits if the machine itself stops). docs/reliability.md.
    SQLITE_SYNCHRONOUS = "FULL"
    #: Dossier lists uploaded on the sample page above this size load in the background, with a progress page.
    SAMPLE_INLINE_MAX_BYTES = 2 * 1024 * 1024
    #: Agency lists larger than this are imported in the background (a province's list is far smaller; a
    #: spreadsheet of tens of thousands of rows must not hold a web worker past its timeout).
    AGENCY_INLINE_MAX_BYTES = 256 * 1024
    #: /readyz reports an SQLite database as full below this much free disk space beside the file.
    MIN_FREE_DISK_MB = 50
    #: Free-text comments are deleted this many months after they arrived (`sipas retention run`).
    COMMENT_RETENTION_MONTHS = 24
    #: Job queue: None = SQLite file in instance/ (embedded, no server); "redis://host:6379/0" for several servers.
    JOBS_URL: str | None = None
    #: A job still queued after this many seconds while no worker beats: its page says no worker is running.
    JOBS_NO_WORKER_AFTER = 10
    #: A round's provisional results are recomputed this many seconds after the first change of a burst.
    RESULTS_DEBOUNCE_SECONDS = 5.0
    #: Kiosk: back to the first screen after this many seconds without a touch (partial answers dropped).
    KIOSK_INACTIVITY_SECONDS = 60
    #: Kiosk: how long the thank-you screen stays.
    KIOSK_THANKS_SECONDS = 5
    #: Online form: answers kept in the tab (never the comment) are forgotten after this many minutes without input.
    ONLINE_IDLE_MINUTES = 20
    #: Kiosk: whom staff contact when a tablet is not enrolled (shown on that screen); set the real office and phone.
    KIOSK_SUPPORT_CONTACT = "Văn phòng Sở Nội vụ (quản trị hệ thống SIPAS)"
