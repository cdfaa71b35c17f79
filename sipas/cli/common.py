"""What every command shares: how a failure is reported."""
from __future__ import annotations

import sys
from typing import NoReturn

import click


def fail(exc: Exception) -> NoReturn:
    """Print the error (and each problem it lists) on stderr and exit with status 1."""
    click.echo(f"error: {exc}", err=True)
    problems = getattr(exc, "problems", None)
    if problems:
        for key, message in (problems.items() if isinstance(problems, dict) else enumerate(problems, 1)):
            click.echo(f"  {key}: {message}", err=True)
    sys.exit(1)

