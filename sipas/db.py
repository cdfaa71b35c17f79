"""Engine and sessions: one engine per app, one session per request, closed at teardown.

The request boundary (sipas/web/boundary.py) commits a request's session; views only flush, and use
`discard_changes`, `after_commit` and `on_storage_failure` to say what the boundary should do.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from flask import Flask, current_app, g, has_request_context
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

EXTENSION_KEY = "sipas_db"


def make_engine(url: str, *, sqlite_synchronous: str = "FULL", connect_timeout: int = 3) -> Engine:
    """Create an engine with the settings each backend needs.

    SQLite gets foreign keys (off by default in SQLite), WAL and a busy timeout so that
    concurrent kiosk submissions wait instead of failing with "database is locked". synchronous=FULL:
    a commit is on disk before the client hears 201 and deletes its copy, even across a power cut
    (NORMAL is durable across a crash of the app, not of the machine; docs/reliability.md).
    """
    if sqlite_synchronous.upper() not in ("FULL", "NORMAL", "EXTRA"):
        raise ValueError("SQLITE_SYNCHRONOUS must be FULL, NORMAL or EXTRA")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - exercised by every test
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={sqlite_synchronous.upper()}")
            cursor.close()

        return engine
    # A PostgreSQL that accepts connections but never answers must not hold a request (and a worker) for
    # ever: libpq gives up connecting after connect_timeout seconds, and a request waits at most as long for
    # a pooled connection; the failure is then answered 503 with Retry-After (sipas/web/unavailable.py).
    return create_engine(url, pool_pre_ping=True, pool_timeout=connect_timeout,
                         connect_args={"connect_timeout": connect_timeout})


#: How many rows SQLite's ANALYZE samples per index when `optimize` runs (approximate statistics in
#: milliseconds instead of a full scan of a large table: https://sqlite.org/lang_analyze.html#approx).
SQLITE_ANALYSIS_LIMIT = 1000


def optimize(session: Session) -> None:
    """Refresh the query planner's statistics where the database needs to be told (SQLite's `PRAGMA optimize`,
    which analyses only tables that changed a lot since their last analysis; PostgreSQL's autovacuum does this
    by itself). Run off the request path: after migrations and after each results recomputation. The caller
    commits."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}"))
        session.execute(text("PRAGMA optimize"))


def init_app(app: Flask) -> None:
    """Bind an engine and a session factory to the app, and close the request session at teardown."""
    engine = make_engine(app.config["DATABASE_URL"], sqlite_synchronous=app.config["SQLITE_SYNCHRONOUS"],
                         connect_timeout=int(app.config.get("DB_CONNECT_TIMEOUT") or 3))
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    from sipas.services import lookups  # services import the models, which must not load with this module

    lookups.configure(engine, float(app.config.get("LOOKUP_TTL_SECONDS", lookups.DEFAULT_TTL)))
    limit_request_statements(factory, float(app.config.get("DB_STATEMENT_TIMEOUT") or 0))
    app.extensions[EXTENSION_KEY] = factory
    app.teardown_appcontext(_close_session)


def limit_request_statements(factory: sessionmaker, seconds: float) -> None:
    """PostgreSQL: a statement of a web request that runs (or waits for a lock) longer than `seconds` is
    cancelled by the server, and the request is answered 503 with Retry-After (sipas/web/unavailable.py),
    instead of holding a worker while the database is stuck. Set per transaction (SET LOCAL, so a pooled
    connection carries nothing over), and only inside a request: background jobs and CLI commands may run long."""
    if seconds <= 0 or factory.kw["bind"].dialect.name != "postgresql":
        return
    milliseconds = int(seconds * 1000)

    @event.listens_for(factory, "after_begin")
    def _statement_timeout(_session, _transaction, connection):
        if has_request_context():
            connection.exec_driver_sql(f"SET LOCAL statement_timeout = {milliseconds}")


def session_factory(app: Flask | None = None) -> sessionmaker:
    """The app's session factory (for the CLI and background work)."""
    return (app or current_app).extensions[EXTENSION_KEY]


def get_session() -> Session:
    """The session of the current request or app context, created on first use."""
    if "db_session" not in g:
        g.db_session = session_factory()()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def discard_changes() -> None:
    """Roll back this request's changes now; the request boundary then commits nothing.

    For a view that handled a failure and answers with a page or redirect that is not an error status
    (a flash message, say). Error statuses (>= 400) are rolled back by the boundary anyway.
    """
    g.db_discard = True
    session = g.get("db_session")
    if session is not None:
        session.rollback()


def after_commit(callback: Callable[[], object]) -> None:
    """Run `callback` once the request boundary has committed (e.g. start a job that reads the new rows)."""
    g.setdefault("db_after_commit", []).append(callback)


def on_storage_failure(render: Callable[[str], object]) -> None:
    """What the boundary answers when the commit fails because storage is unavailable, full or read-only.

    `render(cause)` returns the response (e.g. the online form again with the citizen's answers); without
    one, the boundary answers with the generic 503.
    """
    g.db_on_storage_failure = render


@contextmanager
def session_scope(app: Flask | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error (CLI commands own their commit)."""
    session = session_factory(app)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
