"""The test client every app in the suite hands out: it checks each response's security headers, so no test has
to, closes each response as a server does once it is sent (a read's spooled writes are applied then:
write_spool.py), and reads the session's CSRF token from the session itself, as a page would carry it, without a
request."""
import re

from flask import Response
from flask.ctx import RequestContext
from flask.testing import FlaskClient
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import HTTPException
from werkzeug.test import create_environ

#: endpoints whose responses may be cached: files that hold no patient data
CACHEABLE = ("static", "nhsuk_assets")


def assert_security_headers(response: Response, cacheable: bool = False) -> None:
    """The headers every response must carry; all but `cacheable` ones (static files) are never cached."""
    csp = response.headers.get("Content-Security-Policy", "")
    assert csp, "no Content-Security-Policy"
    assert "unsafe-inline" not in csp, csp
    assert "unsafe-eval" not in csp, csp
    assert "frame-ancestors 'none'" in csp, csp
    assert response.headers.get("X-Frame-Options") == "DENY"
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy") == "same-origin"
    assert ("no-store" in response.headers.get("Cache-Control", "")) is not cacheable, response.headers
    if response.mimetype != "text/html" or response.is_streamed:
        return
    # Every inline script must carry this response's nonce, or the CSP blocks it.
    nonce = re.search(r"'nonce-([^']+)'", csp)
    for tag in re.findall(r"<script\b[^>]*>", response.get_data(as_text=True)):
        if "src=" not in tag:
            assert nonce, "inline script but no nonce in the CSP"
            assert f'nonce="{nonce.group(1)}"' in tag, tag


class CheckedClient(FlaskClient):
    """A FlaskClient that checks the security headers of every response it returns (each redirect followed, too).
    Responses are buffered unless a test asks otherwise: read whole and closed, as a server closes a response once
    sent."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **{"buffered": True, **kwargs})
        assert_security_headers(response, cacheable=self._endpoint(response) in CACHEABLE)
        return response

    def _endpoint(self, response) -> str | None:
        adapter = self.application.url_map.bind_to_environ(response.request.environ)
        try:
            return adapter.match()[0]
        except HTTPException:  # not found, wrong method, a redirect to add a slash: the app's own page
            return None

    def csrf_token(self) -> str:
        """The session's CSRF token, made by Flask-WTF in this client's session (which keeps it for later posts)."""
        with self.session_transaction() as session, RequestContext(self.application, create_environ(), session=session):
            return generate_csrf()
