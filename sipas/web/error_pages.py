"""Friendly, localised error pages in the site's mobile style (Werkzeug's English pages otherwise).

The pages touch no database (a 500 may come from it) and API paths keep answering JSON."""
from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

#: status -> (heading, explanation); the texts come from the translation catalogue.
PAGES = {
    400: (_l("The request could not be understood"),
          _l("Please go back and try again. If it happens again, open the link once more.")),
    403: (_l("This page is not open to you"),
          _l("The link may be meant for another person or role. If you think this is a mistake, contact the agency.")),
    404: (_l("Page not found"),
          _l("The address may be mistyped or no longer in use. Please check the link on your invitation or poster.")),
    405: (_l("The request could not be understood"),
          _l("Please go back and try again. If it happens again, open the link once more.")),
    410: (_l("This link is no longer in use"),
          _l("The survey or invitation behind this link has ended. Thank you for your interest.")),
    500: (_l("Something went wrong on our side"),
          _l("This is not your fault. Please try again in a few minutes.")),
    503: (_l("Temporarily unavailable"),
          _l("The service is under maintenance or very busy. Nothing you sent was lost; please try again in a few "
             "minutes.")),
}


def init_app(app: Flask) -> None:
    """Register the pages for the statuses above."""

    def _page(exc: HTTPException):
        status = exc.code if isinstance(exc, HTTPException) and exc.code in PAGES else 500
        if request.path.startswith("/api/"):
            return {"error": getattr(exc, "description", "error")}, status
        heading, text = PAGES[status]
        return render_template("error.html", heading=heading, text=text, status=status), status

    for status in PAGES:
        app.register_error_handler(status, _page)
