"""Request ids, one JSON log line per request (never patient data), and the readiness check."""
import functools
import json
import logging
import re
import sys
import time
import traceback
import uuid
from datetime import UTC, datetime

from alembic.script import ScriptDirectory
from flask import Flask, g, has_request_context, request
from flask.logging import default_handler
from sqlalchemy import inspect, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

REQUEST_ID_HEADER = "X-Request-ID"
#: what a proxy's request id may look like to be kept (a UUID, a trace id); anything else is replaced
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")
request_log = logging.getLogger("inclusive_access.requests")


def request_id() -> str:
    """This request's id: the proxy's X-Request-ID when it is sane, otherwise a new one."""
    if "request_id" not in g:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    return g.request_id


class JsonFormatter(logging.Formatter):
    """One JSON object a line. An exception is logged as its type and stack, never its message: a database error
    quotes the values it refused, and those can be a patient's."""

    FIELDS = ("user_id", "method", "endpoint", "route", "status", "duration_ms")

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        if has_request_context():
            line["request_id"] = request_id()
        line.update({name: getattr(record, name) for name in self.FIELDS if hasattr(record, name)})
        if record.exc_info and record.exc_info[0]:
            kind, _error, stack = record.exc_info
            line["exception"] = f"{kind.__module__}.{kind.__qualname__}"
            line["stack"] = "".join(traceback.format_tb(stack))
        return json.dumps(line)


class StderrHandler(logging.StreamHandler):
    """Writes to sys.stderr as it is at each record: gunicorn and pytest replace it after the app is made."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure_logging(app: Flask) -> None:
    """JSON lines on stderr for the app's loggers, once per process (the tests make many apps)."""
    logger = logging.getLogger(app.import_name)
    logger.setLevel(app.config["LOG_LEVEL"])
    if not any(isinstance(handler, StderrHandler) for handler in logger.handlers):
        handler = StderrHandler()
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
    logger.propagate = False  # one line a record: not again through a root handler (alembic's fileConfig adds one)
    app.logger.removeHandler(default_handler)


def _start_timer() -> None:
    g.request_started = time.perf_counter()


def _signed_in_user_id() -> int | None:
    """The user Flask-Login loaded for this request, if any; read from the identity map, so no query is made."""
    state = inspect(g.get("_login_user"), raiseerr=False)
    return state.identity[0] if state is not None and state.identity else None


def log_request(response):
    """One line for each request: who, which route (its rule, not the URL: no query string, no form value), how
    it ended and how long it took; the request id goes back in a header for the caller to quote."""
    started = g.get("request_started")
    request_log.log(logging.ERROR if response.status_code >= 500 else logging.INFO, "request", extra={
        "user_id": _signed_in_user_id(), "method": request.method, "endpoint": request.endpoint,
        "route": request.url_rule.rule if request.url_rule else None, "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None})
    response.headers[REQUEST_ID_HEADER] = request_id()
    return response


@functools.cache
def migration_heads(directory: str) -> frozenset[str]:
    return frozenset(ScriptDirectory(directory).get_heads())


def readiness_problem(session: Session, migrations: str) -> str | None:
    """Why the app cannot serve yet, or None: the database is unreachable, or not at the migrations' head."""
    try:
        revisions = frozenset(session.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except SQLAlchemyError:
        return "The database cannot be reached."
    finally:
        session.rollback()  # on SQLite every transaction holds the write lock: end it at once
    if revisions != migration_heads(migrations):
        return "The database is not at the latest migration."
    return None


def init_app(app: Flask) -> None:
    """First of the request hooks, so the timer and the request id cover the others."""
    configure_logging(app)
    app.before_request(_start_timer)
    app.after_request(log_request)
