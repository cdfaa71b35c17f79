"""Fixtures: a new app and an empty database for every test, on SQLite and (when configured) PostgreSQL.

PostgreSQL runs when SIPAS_TEST_DATABASE_URL names a server (CI sets it): each test gets a database of its
own, created from that URL and dropped afterwards. If the variable is set and the server cannot be reached,
the tests fail: CI must never pass by skipping. Without the variable those runs skip, saying why.
"""
from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sipas import create_app
from sipas.db import session_factory
from sipas.models import Base

PG_URL = os.environ.get("SIPAS_TEST_DATABASE_URL")


def _pg_database(request) -> str:
    if not PG_URL:
        pytest.skip("PostgreSQL run skipped: set SIPAS_TEST_DATABASE_URL "
                    "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to run it")
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"sipas_t_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure must fail the run, not skip it
        admin.dispose()
        pytest.fail(f"SIPAS_TEST_DATABASE_URL is set but PostgreSQL is unreachable: {exc}")

    def _drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    request.addfinalizer(_drop)
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    """An empty database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite'}"
    return _pg_database(request)


@pytest.fixture
def app(db_url, tmp_path):
    """A new app with the schema created on an empty database."""
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "DATABASE_URL": db_url,
                      "SECRET_KEY": "test-secret", "RATELIMIT_ENABLED": False, "DEMO_ON_FIRST_START": False,
                      **private_dirs(tmp_path)})
    Base.metadata.create_all(session_factory(app).kw["bind"])
    yield app
    session_factory(app).kw["bind"].dispose()


@pytest.fixture
def session(app):
    """A session on the test database (tests commit when the code under test would)."""
    s = session_factory(app)()
    yield s
    s.close()


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """A SQLite file with the small demo loaded once per test session; tests copy it."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "t",
                      **private_dirs(path.parent)})
    Base.metadata.create_all(session_factory(app).kw["bind"])
    from sqlalchemy import select

    from sipas.db import session_scope
    from sipas.models import Round
    from sipas.recompute import refresh_now
    from sipas.services.demo import load_demo
    with session_scope(app) as s:
        load_demo(s, scale=0.5)
        round_ids = list(s.scalars(select(Round.id).order_by(Round.year)))
    # What the job runner does after the demo is loaded: each round's provisional results, stored.
    for round_id in round_ids:
        refresh_now(app, round_id)
    session_factory(app).kw["bind"].dispose()
    return path


@pytest.fixture
def demo_app(demo_template, tmp_path):
    """An app on a private copy of the demo database (SQLite)."""
    import shutil
    path = tmp_path / "demo.sqlite"
    shutil.copy(demo_template, path)
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "DATABASE_URL": f"sqlite:///{path}",
                      "SECRET_KEY": "test-secret", "RATELIMIT_ENABLED": False, **private_dirs(tmp_path)})
    yield app
    session_factory(app).kw["bind"].dispose()


def private_dirs(folder) -> dict:
    """A job queue and an export folder of the test's own (never the repository's instance/ folder)."""
    return {"JOBS_URL": f"sqlite:///{folder / 'jobs.sqlite'}", "EXPORT_DIR": str(folder / "exports")}


def login(client, username: str, password: str = "demo-sipas-2026"):
    """Log a demo user in through the real login form."""
    return client.post("/auth/login", data={"username": username, "password": password}, follow_redirects=True)


@pytest.fixture(scope="session")
def national_template(demo_template, tmp_path_factory):
    """The small demo plus the national demo (VN-2024, VN-2026 at a small scale) with stored results, once."""
    import shutil

    from sqlalchemy import select

    from sipas.db import session_scope
    from sipas.models import Round
    from sipas.recompute import refresh_now
    from sipas.services.demo_national import load_national
    path = tmp_path_factory.mktemp("national") / "national.sqlite"
    shutil.copy(demo_template, path)
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "t",
                      **private_dirs(path.parent)})
    with session_scope(app) as s:
        load_national(s, scale=0.03)
        round_ids = list(s.scalars(select(Round.id).where(Round.code.like("VN-%")).order_by(Round.year)))
    for round_id in round_ids:
        refresh_now(app, round_id)
    session_factory(app).kw["bind"].dispose()
    return path


@pytest.fixture
def national_app(national_template, tmp_path):
    """An app on a private copy of the demo with the national rounds (SQLite)."""
    import shutil
    path = tmp_path / "national.sqlite"
    shutil.copy(national_template, path)
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "DATABASE_URL": f"sqlite:///{path}",
                      "SECRET_KEY": "test-secret", "RATELIMIT_ENABLED": False, **private_dirs(tmp_path)})
    yield app
    session_factory(app).kw["bind"].dispose()
