"""Messages made where there is no request (services), shown in the reader's language by the page.

A service cannot ask Flask-Babel for the reader's language, and a message formatted in English cannot be
looked up in the catalogue afterwards. `N_` keeps the English template and its values apart: the result is
the English text (so logs, the CLI and tests read it as a plain string), and a page translates the template
and fills in the values (sipas/web/entry.py `localized`). `pybabel extract` collects `N_(...)` templates by
default, so they land in the catalogue like any `_()` text. No Flask here.
"""
from __future__ import annotations


class Message(str):
    """English text that remembers its catalogue template and the values filled into it."""

    template: str
    values: dict[str, object]

    def __new__(cls, template: str, values: dict[str, object]) -> Message:
        text = super().__new__(cls, template % values if values else template)
        text.template = template
        text.values = values
        return text


def N_(template: str, **values: object) -> Message:  # noqa: N802 - the name gettext tools look for
    """A message for the catalogue, with %(name)s placeholders filled from `values`."""
    return Message(template, values)
