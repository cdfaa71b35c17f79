"""Long fuzzing run (not a test): every route and form as a logged-in admin, counting server errors.

The suite runs the same search (tests/web/test_fuzz_routes.py) with a small fixed budget; this runs it
longer, on a fresh demo database (SQLite by default, or the PostgreSQL URL given), and prints the number of
requests and of responses >= 500. The goal is 0.

    python bench/fuzz_routes.py --requests 10000
    python bench/fuzz_routes.py --requests 10000 --database postgresql+psycopg://postgres@127.0.0.1:5432/fuzz
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sipas import create_app  # noqa: E402
from sipas.db import session_factory  # noqa: E402
from sipas.models import Base  # noqa: E402
from sipas.services.demo import load_demo  # noqa: E402
from tests.web.test_fuzz_routes import run_fuzz  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--database", help="an empty database URL (default: a temporary SQLite file)")
    parser.add_argument("--scale", type=float, default=0.2, help="demo size")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = options.database or f"sqlite:///{Path(folder) / 'fuzz.sqlite'}"
        app = create_app({"TESTING": False, "WTF_CSRF_ENABLED": False, "DATABASE_URL": url, "SECRET_KEY": "fuzz",
                          "RATELIMIT_ENABLED": False, "DEMO_ON_FIRST_START": False,
                          "JOBS_URL": f"sqlite:///{Path(folder) / 'jobs.sqlite'}",
                          "EXPORT_DIR": str(Path(folder) / "exports")})
        Base.metadata.create_all(session_factory(app).kw["bind"])
        session = session_factory(app)()
        load_demo(session, scale=options.scale)
        session.commit()
        session.close()
        client = app.test_client()
        client.post("/auth/login", data={"username": "admin", "password": "demo-sipas-2026"})
        started = time.perf_counter()
        seen = run_fuzz(app, client, max_examples=options.requests)
        elapsed = time.perf_counter() - started
    print(f"database: {url.split(':')[0]}  requests: {seen['requests']}  server errors (>= 500): "
          f"{len(seen['errors'])}  time: {elapsed:.0f} s")
    print(f"routes visited: {len(seen['endpoints'])} of {len(seen['routes'])} (every GET/POST route but logout "
          f"and static); missed: {', '.join(sorted(seen['routes'] - seen['endpoints'])) or 'none'}")
    print("statuses:", "  ".join(f"{status}: {count}" for status, count in sorted(seen["statuses"].items())))
    for error in seen["errors"][:20]:
        print("  ", *error)
    sys.exit(1 if seen["errors"] else 0)


if __name__ == "__main__":
    main()
