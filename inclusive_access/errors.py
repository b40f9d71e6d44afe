"""Error pages in the NHS.UK style; a failed request rolls back, so nothing is half-written."""
from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import Conflict

from inclusive_access.blueprints.fhir import answers
from inclusive_access.extensions import db
from inclusive_access.observability import request_id

MESSAGES = {
    400: ("Sorry, there is a problem with the request",
          "The form could not be read. Go back, reload the page and try again. Nothing was saved."),
    403: ("You do not have permission to see this page",
          "Your role does not allow this. Ask your service manager if you think it should."),
    404: ("Page not found", "Check the web address or go back to the referrals list."),
    405: ("Sorry, that action is not available here", "Go back and use the buttons on the page."),
    409: ("This record has changed", "Someone else changed it since you opened it. Nothing was saved."),
    413: ("Too much data was sent", "Shorten what you entered and try again. Nothing was saved."),
    500: ("Sorry, there is a problem with the service",
          "Nothing was saved. Try again later; if it keeps happening, tell the service desk."),
}


def init_app(app: Flask) -> None:
    def handle(error):
        if answers.is_fhir_request():  # an API client reads an OperationOutcome, not a page
            return answers.refused(error)
        db.session.rollback()
        code = getattr(error, "code", 500) or 500
        title, body = MESSAGES.get(code, MESSAGES[500])
        if isinstance(error, CSRFError):
            body = ("The page had expired or the form was incomplete. "
                    "Go back, reload the page and try again. Nothing was saved.")
        return render_template("errors/error.html", title=title, body=body, code=code,
                               request_id=request_id()), code

    for code in MESSAGES:
        app.register_error_handler(code, handle)
    app.register_error_handler(CSRFError, handle)

    def lost_race(error):
        """A save that lost a race at the database (its row changed first, or its one-time token or unique key was
        stored first) is a conflict, on either engine: nothing was saved. Any other integrity error stays a 500."""
        if isinstance(error, IntegrityError) and not _unique_violation(error):
            raise error
        return handle(Conflict())

    app.register_error_handler(StaleDataError, lost_race)
    app.register_error_handler(IntegrityError, lost_race)


def _unique_violation(error: IntegrityError) -> bool:
    return getattr(error.orig, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(error.orig)
