"""The `sipas` command: Flask's run/shell/routes plus the platform's own commands, one module per feature.

Each command opens a session, calls one service, and commits (views and commands own the commit).
"""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup

from sipas import create_app
from sipas.cli import collection, results, sample, setup


def init_app(app: Flask) -> None:
    """Attach the command groups to the app's CLI."""
    for command in (setup.db_cli, setup.units_cli, setup.rounds_cli, setup.agencies_cli, setup.demo_cli,
                    setup.jobs_cli, setup.retention_cli, setup.start, results.export_cli, results.analyze,
                    results.report, results.publication_command, collection.apikey_cli, collection.kiosk_cli,
                    collection.invitations_cli, collection.import_cli, sample.sample_cli):
        app.cli.add_command(command)


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False, load_dotenv=False)
def main() -> None:
    """SIPAS: citizens' satisfaction with public administrative services."""
