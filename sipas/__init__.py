"""The SIPAS platform: a Flask application built by one small factory."""
from __future__ import annotations

import secrets
from pathlib import Path
from typing import Mapping

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: Mapping | None = None) -> Flask:
    """Build the app: config layers (defaults, SIPAS_* environment, overrides), then each part's init_app."""
    app = Flask(__name__, template_folder=str(ROOT / "templates"), instance_relative_config=True)
    app.config.from_object("sipas.config.Defaults")
    app.config.from_prefixed_env("SIPAS")
    app.config.update(overrides or {})
    _embedded_defaults(app)

    # Here, not at the top: sipas.cli imports create_app and sipas.migrate imports ROOT from this package (a cycle).
    from sipas import cli, db, i18n, jobs, security, web

    for part in (db, i18n, security, jobs, web, cli):
        part.init_app(app)
    return app


def _embedded_defaults(app: Flask) -> None:
    """Fill in what the embedded default needs: a SQLite file and a secret key kept in instance/."""
    needs_instance = not app.config.get("DATABASE_URL") or not app.config.get("SECRET_KEY")
    if needs_instance:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'sipas.sqlite'}"
        app.config["EMBEDDED_DEFAULT"] = True
    if not app.config.get("SECRET_KEY"):
        key_file = Path(app.instance_path) / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_hex(32))
            key_file.chmod(0o600)
        app.config["SECRET_KEY"] = key_file.read_text().strip()
    if not app.config.get("DOSSIER_HASH_KEY"):
        app.config["DOSSIER_HASH_KEY"] = app.config["SECRET_KEY"]
