"""Helpers for route tests: security-header invariants, form field names, event and row counts."""
import re

from sqlalchemy import func, select

from inclusive_access.extensions import db
from inclusive_access.models import Event
from tests.conftest import PASSWORD, post_form


def assert_security_headers(response, patient_data: bool = False) -> None:
    """The headers every response must carry; `patient_data` pages must also never be cached."""
    csp = response.headers.get("Content-Security-Policy", "")
    assert csp, "no Content-Security-Policy"
    assert "unsafe-inline" not in csp, csp
    assert "unsafe-eval" not in csp, csp
    assert "frame-ancestors 'none'" in csp, csp
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy") == "same-origin"
    if patient_data:
        assert "no-store" in response.headers.get("Cache-Control", ""), response.headers
    # Every inline script must carry this response's nonce, or the CSP blocks it.
    nonce = re.search(r"'nonce-([^']+)'", csp)
    for tag in re.findall(r"<script\b[^>]*>", response.get_data(as_text=True)):
        if "src=" not in tag:
            assert nonce, "inline script but no nonce in the CSP"
            assert f'nonce="{nonce.group(1)}"' in tag, tag


def field_names(html: str) -> set[str]:
    """The names of the inputs, selects and textareas a page's forms would post."""
    return set(re.findall(r'<(?:input|select|textarea)\b[^>]*?\bname="([^"]+)"', html))


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def events(app, action: str | None = None) -> list[Event]:
    with app.app_context():
        query = select(Event).order_by(Event.seq)
        if action:
            query = query.where(Event.action == action)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return rows


def sign_in(client, username: str, password: str = PASSWORD):
    return post_form(client, "/auth/login", {"username": username, "password": password})
