"""Languages: Vietnamese by default, English on request (?lang=en, remembered in the session)."""
from __future__ import annotations

from flask import Flask, current_app, request, session
from flask_babel import Babel

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


def init_app(app: Flask) -> None:
    """Attach Flask-Babel with the locale selector."""
    babel.init_app(app, locale_selector=select_locale)
