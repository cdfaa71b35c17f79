"""Problems found in a submission, in the reader's language only.

Services and the profile checks name problems as `surveys.Problem` (English source text with its values);
the pages look each one up in the translation catalogue, so a Vietnamese page shows Vietnamese only."""
from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext

from surveys import Problem


def localise(message: object) -> str:
    """One problem in the page's language (a plain string is shown as it is)."""
    if isinstance(message, Problem):
        return gettext(message.msgid, **message.params)
    return str(message)


def localise_all(problems: Mapping[str, object] | list) -> dict[str, str]:
    """A problems mapping (or list) as field -> message in the page's language."""
    if isinstance(problems, Mapping):
        return {key: localise(message) for key, message in problems.items()}
    return {"form": "; ".join(localise(message) for message in problems)}
