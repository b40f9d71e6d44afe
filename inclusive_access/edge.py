"""What the app accepts before any route runs: ids within the database's integers, query strings without control
characters, bodies within MAX_CONTENT_LENGTH even when chunked, and forwarded headers only from trusted proxies."""
import io
import re

from flask import Flask, abort, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

#: PostgreSQL's INTEGER, the type of every id column: a larger id cannot name a row, and binding it is an error
LARGEST_ID = 2**31 - 1
CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")
PROXY_FIX_SETTINGS = ("x_for", "x_proto", "x_host", "x_port", "x_prefix")


class IdConverter(IntegerConverter):
    """`<int:...>` that matches only ids the database can hold, so a larger one is a 404 rather than an error."""

    def __init__(self, url_map, fixed_digits: int = 0, min: int | None = None, max: int = LARGEST_ID,
                 signed: bool = False) -> None:
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class ChunkedBodyLimit:
    """WSGI middleware: a chunked body is read up to MAX_CONTENT_LENGTH and given a Content-Length.

    Werkzeug checks MAX_CONTENT_LENGTH (and MAX_FORM_MEMORY_SIZE) against Content-Length; without one it stops
    reading at the limit and parses what it read, so a 100 MB chunked form was taken as its first 16 MB. Once the
    body has a length, every limit applies as it does to any other request, with the NHS.UK 413 page."""

    def __init__(self, wsgi_app, limit: int):
        self.wsgi_app, self.limit = wsgi_app, limit

    def __call__(self, environ, start_response):
        if environ.get("wsgi.input_terminated") and not environ.get("CONTENT_LENGTH"):
            body = _read_at_most(environ["wsgi.input"], self.limit + 1)
            if len(body) > self.limit:
                body = b""  # refused unread: Werkzeug answers 413 from the length alone
                environ["CONTENT_LENGTH"] = str(self.limit + 1)
            else:
                environ["CONTENT_LENGTH"] = str(len(body))
            environ["wsgi.input"] = io.BytesIO(body)
            # Now a plain body of known length (Werkzeug ignores Content-Length beside Transfer-Encoding: chunked).
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            del environ["wsgi.input_terminated"]
        return self.wsgi_app(environ, start_response)


def _read_at_most(stream, size: int) -> bytes:
    """Up to `size` bytes (a server's chunked reader may return fewer than asked for at each read)."""
    parts, got = [], 0
    while got < size:
        part = stream.read(min(65536, size - got))
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def refuse_control_characters():
    """No filter, lookup or link needs a control character; PostgreSQL refuses NUL in text with an error."""
    if any(CONTROL_CHARACTER.search(key) or CONTROL_CHARACTER.search(value)
           for key, value in request.args.items(multi=True)):
        abort(400)


def init_app(app: Flask) -> None:
    """Before the blueprints: their `<int:...>` rules are compiled with the converter registered here."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_control_characters)
    if app.config["MAX_CONTENT_LENGTH"] is not None:
        app.wsgi_app = ChunkedBodyLimit(app.wsgi_app, app.config["MAX_CONTENT_LENGTH"])
    hops = {name: app.config[f"PROXY_FIX_{name.upper()}"] for name in PROXY_FIX_SETTINGS}
    if any(hops.values()):
        # Outermost, so the body limit and the app both see the client's scheme and address.
        app.wsgi_app = ProxyFix(app.wsgi_app, **hops)
