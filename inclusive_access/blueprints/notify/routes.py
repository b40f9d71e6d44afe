"""POST /notify/delivery-status: Notify tells us what became of a message (its delivery receipt callback).

Notify presents the token set in its API integration settings as `Authorization: Bearer <token>`; without
NOTIFY_CALLBACK_TOKEN set the endpoint does not exist (404), so a service that polls instead
(`flask notify statuses`) exposes nothing. Answers are JSON: Notify reads only the status code, and retries what
is not 2xx, which is how a report that arrives before the sender recorded the send (409) is taken later.
"""
import hmac
from datetime import UTC, datetime

from flask import current_app, jsonify, request

from inclusive_access.blueprints import commands
from inclusive_access.blueprints.notify import bp
from inclusive_access.domain import message_statuses
from inclusive_access.domain.errors import InvalidInput
from inclusive_access.extensions import db

#: record_report's refusals as HTTP: not ours (404), or not yet recorded as sent (409, for Notify to retry)
REFUSALS = {message_statuses.UNKNOWN: (404, "No message of this service has that reference and id"),
            message_statuses.NOT_SENT_YET: (409, "The message is not yet recorded as sent: try again later")}


@bp.post("/delivery-status")
def receive_delivery_status():
    expected = current_app.config.get("NOTIFY_CALLBACK_TOKEN")
    if not expected:
        return _answer(404, "Not found")
    if not _bearer_matches(expected):
        return _answer(401, "A valid bearer token is required", {"WWW-Authenticate": 'Bearer realm="notify"'})
    try:
        report = message_statuses.Report.from_notify(request.get_json(silent=True))
        outcome = commands.committed(lambda: message_statuses.record_report(db.session, report, datetime.now(UTC)))
    except InvalidInput as invalid:
        return _answer(400, "; ".join(invalid.errors.values()))
    if outcome in REFUSALS:
        return _answer(*REFUSALS[outcome])
    return jsonify(result=outcome)


def _bearer_matches(expected: str) -> bool:
    """Whether the request carries the expected token, compared in constant time (no timing tells how much of a
    guess was right)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), expected.encode())


def _answer(status: int, message: str, headers: dict | None = None):
    return jsonify(error=message), status, headers or {}
