"""A local stand-in for the GOV.UK Notify API, served on a free port, so the official client is tested against the
requests it really sends (never the real service). It checks each request's JWT as Notify does, keeps what it
accepted, and can be told to fail the next requests or to report a delivery status."""
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from notifications_python_client.authentication import decode_jwt_token, get_token_issuer
from notifications_python_client.errors import TokenError
from werkzeug.wrappers import Request, Response

from tests import serving

SERVICE_ID = "6f1f4d7e-3c55-4a8e-9a52-8f3d2b9c0a11"
SECRET = "0b7c6a38-2f4e-4d7a-b1e5-c9d0e8f7a6b5"
#: a test API key in Notify's format: key name, service id, secret
API_KEY = f"inclusive_access_test-{SERVICE_ID}-{SECRET}"
TYPES = ("sms", "email", "letter")


@dataclass
class Received:
    """One request as the fake server saw it."""

    method: str
    path: str
    json: dict | None
    args: dict


@dataclass
class FakeNotify:
    """The fake API's state; `serve()` runs it."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    #: notifications accepted, by Notify id
    notifications: dict[str, dict] = field(default_factory=dict)
    #: (status code, error) answered to the next sends, in order
    failures: list[tuple[int, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, status: int, error: str = "Exception", times: int = 1) -> None:
        self.failures.extend([(status, error)] * times)

    def set_status(self, notify_id: str, status: str, completed_at: str | None = None) -> None:
        """Report `status` from now on, reached at `completed_at` (Notify's format, e.g. 2026-12-06T18:40:01.000000Z)
        when it is an outcome."""
        self.notifications[notify_id].update(status=status, completed_at=completed_at)

    def sent(self, kind: str | None = None) -> list[dict]:
        """The notifications accepted, in order (of one type: sms, email or letter)."""
        return [n for n in self.notifications.values() if kind in (None, n["type"])]

    def __call__(self, environ, start_response):
        request = Request(environ)
        body = request.get_json(silent=True)
        with self.lock:
            self.requests.append(Received(request.method, request.path, body, dict(request.args)))
            response = self._answer(request, body)
        return response(environ, start_response)

    def _answer(self, request: Request, body: dict | None) -> Response:
        if problem := _auth_problem(request):
            return _error(403, "AuthError", problem)
        parts = request.path.strip("/").split("/")
        if request.method == "POST" and parts[:2] == ["v2", "notifications"] and parts[2:] and parts[2] in TYPES:
            if self.failures:
                return _error(*self.failures.pop(0), "The fake was told to fail this request")
            return self._accept(parts[2], body or {})
        if request.method == "GET" and request.path == "/v2/notifications":
            found = [n for n in self.notifications.values()
                     if request.args.get("reference") in (None, n["reference"])]
            return _json({"notifications": found, "links": {"current": request.url}})
        if request.method == "GET" and parts[:2] == ["v2", "notifications"] and len(parts) == 3:
            if parts[2] not in self.notifications:
                return _error(404, "NoResultFound", "No result found")
            return _json(self.notifications[parts[2]])
        return _error(404, "NotFound", "Not found")

    def _accept(self, kind: str, body: dict) -> Response:
        personalisation = body.get("personalisation") or {}
        if not body.get("template_id"):
            return _error(400, "ValidationError", "template_id is a required property")
        if kind == "sms" and not body.get("phone_number"):
            return _error(400, "ValidationError", "phone_number is a required property")
        if kind == "email" and not body.get("email_address"):
            return _error(400, "ValidationError", "email_address is a required property")
        if kind == "letter" and sum(1 for key in personalisation if key.startswith("address_line_")) < 3:
            return _error(400, "ValidationError", "Address must be at least 3 lines")
        notify_id = str(uuid.uuid4())
        self.notifications[notify_id] = {
            "id": notify_id, "reference": body.get("reference"), "type": kind, "status": "created",
            "completed_at": None, "template": {"id": body["template_id"], "version": 1},
            "phone_number": body.get("phone_number"), "email_address": body.get("email_address"),
            "personalisation": personalisation,
        }
        return _json({"id": notify_id, "reference": body.get("reference"),
                      "template": {"id": body["template_id"], "version": 1}, "content": {}}, 201)


def _auth_problem(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return "Unauthorized: authentication token must be provided"
    token = header.removeprefix("Bearer ")
    try:
        if get_token_issuer(token) != SERVICE_ID:
            return "Invalid token: service not found"
        decode_jwt_token(token, SECRET)
    except TokenError as error:
        return f"Invalid token: {error.message}"
    return None


def _json(data: dict, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


def _error(status: int, error: str, message: str) -> Response:
    return _json({"status_code": status, "errors": [{"error": error, "message": message}]}, status)


@contextmanager
def serve() -> Iterator[FakeNotify]:
    """The fake Notify API on a free local port, for the length of the block."""
    fake = FakeNotify()
    with serving.serve(fake) as fake.url:
        yield fake
