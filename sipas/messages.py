"""Messages made where there is no request (services), shown in the reader's language by the page.

A service cannot ask Flask-Babel for the reader's language, and a message formatted in English cannot be
looked up in the catalogue afterwards. `N_` keeps the English template and its values apart in a
`surveys.Problem` (the one such type: the profile checks use it too): it reads as the English text (so logs,
the CLI and tests see a plain string), and a page translates the template and fills in the values
(sipas/web/problems.py). `pybabel extract` collects `N_(...)` templates by default. No Flask here.
"""
from __future__ import annotations

from surveys import Problem

#: A service's message: the same type as a profile check's problem.
Message = Problem


def N_(template: str, **values: object) -> Problem:  # noqa: N802 - the name gettext tools look for
    """A message for the catalogue, with %(name)s placeholders filled from `values`."""
    return Problem(template, **values)
