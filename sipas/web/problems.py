"""Problems found in a submission, in the reader's language only.

Services and the profile checks name problems as `surveys.Problem` (English source text with its values);
the pages look each one up in the translation catalogue, so a Vietnamese page shows Vietnamese only."""
from __future__ import annotations

from collections.abc import Mapping

from flask_babel import get_locale, gettext

from sipas import words
from surveys import Problem


def localise(message: object, *, counts: bool = False) -> str:
    """One problem in the page's language (a plain string is shown as it is). With `counts`, whole-number values
    are counts read with the page's thousands separator (12.000 in Vietnamese, 12,000 in English); not by
    default, where they may be years or row numbers."""
    if isinstance(message, Problem):
        params = message.params
        if counts:
            lang = str(get_locale() or "vi")
            params = {k: words.thousands(v, lang) if isinstance(v, int) and not isinstance(v, bool) else v
                      for k, v in params.items()}
        return gettext(message.msgid, **params)
    return str(message)


def localise_all(problems: Mapping[str, object] | list) -> dict[str, str]:
    """A problems mapping (or list) as field -> message in the page's language."""
    if isinstance(problems, Mapping):
        return {key: localise(message) for key, message in problems.items()}
    return {"form": "; ".join(localise(message) for message in problems)}
