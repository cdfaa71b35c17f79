"""Languages: Vietnamese by default, English on request (?lang=en, remembered in the session)."""
from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, request, session
from flask_babel import Babel, get_locale

from sipas import words
from sipas.web.problems import localise
from surveys import Problem

babel = Babel()


def select_locale() -> str:
    """?lang= wins and is remembered; otherwise the remembered choice; otherwise Vietnamese."""
    languages = current_app.config["LANGUAGES"]
    asked = request.args.get("lang")
    if request.blueprint == "kiosk":
        # A kiosk serves one citizen after another: a language choice is never remembered for the next one.
        return asked if asked is not None and asked in languages else str(current_app.config["BABEL_DEFAULT_LOCALE"])
    if asked is not None and asked in languages:
        session["lang"] = asked
        return asked
    remembered = session.get("lang")
    return str(remembered) if remembered in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def _words_for_templates() -> dict:
    """What a page shows a person is words, in the page's language: `word(kind, code)` for levels, maps,
    methods, statuses, channels and roles (sipas/words.py), `vn_date` for dates as dd/mm/yyyy, `local_time` for
    moments as dd/mm/yyyy HH:MM in Vietnam time and `thousands` for counts with the language's separator."""
    lang = "en" if str(get_locale() or "vi") == "en" else "vi"

    def vn_date(day: date | datetime | None) -> str:
        if day is None:
            return ""
        return words.local_time(day, with_time=False) if isinstance(day, datetime) else day.strftime("%d/%m/%Y")

    return {"word": lambda kind, code: words.word(kind, code, lang), "vn_date": vn_date, "vn_time": words.local_time,
            "local_time": words.local_time,
            "thousands": lambda n: words.thousands(int(n), lang)}


def _finalize(value: object) -> object:
    """Every `{{ }}` in a template: a problem found by a service or the profile checks (English source text)
    is shown in the page's language, whichever page shows it (online form, kiosk, paper keying, admin)."""
    return localise(value) if isinstance(value, Problem) else value


def init_app(app: Flask) -> None:
    """Attach Flask-Babel with the locale selector, the words helpers every template can use, and problems
    shown in the page's language."""
    babel.init_app(app, locale_selector=select_locale)
    app.context_processor(_words_for_templates)
    app.jinja_env.finalize = _finalize
