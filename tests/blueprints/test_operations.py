"""Operations: /health and /ready without signing in, one JSON log line per request with no patient data, the
request id on the error page, HSTS through a trusted proxy, and gunicorn's committed settings."""
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import text

from inclusive_access.extensions import db
from inclusive_access.observability import migration_heads
from tests.blueprints.pages import sign_in
from tests.conftest import ON_BOTH_DATABASES, _free_port, make_app, post_form
from tests.factories import make_referral, make_user

ROOT = Path(__file__).resolve().parents[2]


def request_lines(stderr: str) -> list[dict]:
    return [line for line in map(json.loads, filter(None, stderr.splitlines())) if line["message"] == "request"]


@pytest.fixture
def unreachable_database_url(backend, tmp_path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'no-such-directory' / 'test.db'}"
    return f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/nothing"


@ON_BOTH_DATABASES
def test_health_answers_without_signing_in_or_a_database(unreachable_database_url):
    response = make_app(unreachable_database_url).test_client().get("/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_ready_when_the_database_answers_at_the_migrations_head(client):
    response = client.get("/ready")
    assert response.status_code == 200, response.json
    assert response.json == {"status": "ready"}


@ON_BOTH_DATABASES
def test_not_ready_when_the_database_is_at_an_older_revision(app, client):
    head = next(iter(migration_heads(app.extensions["migrate"].directory)))
    with app.app_context():
        db.session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        db.session.commit()
    try:
        response = client.get("/ready")
    finally:
        with app.app_context():
            db.session.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
            db.session.commit()
    assert response.status_code == 503
    assert response.json == {"status": "not ready", "problem": "The database is not at the latest migration."}


@ON_BOTH_DATABASES
def test_not_ready_when_the_database_cannot_be_reached(unreachable_database_url):
    response = make_app(unreachable_database_url).test_client().get("/ready")
    assert response.status_code == 503
    assert response.json == {"status": "not ready", "problem": "The database cannot be reached."}


def test_each_request_logs_one_json_line_without_patient_data(app, client, capsys):
    with app.app_context():
        referral = make_referral(db.session, given_name="Zebedee", family_name="Quixotic")
        clinician_id = make_user(db.session, role="clinician", username="log.clinician").id
        db.session.commit()
        referral_id, nhs_number = referral.id, referral.patient.nhs_number
    post_form(client, "/auth/login", {"username": "log.clinician", "password": "not Quixotic's password"})
    sign_in(client, "log.clinician")
    capsys.readouterr()
    page = client.get(f"/referrals/{referral_id}?search=Quixotic", headers={"X-Request-ID": "proxy-id-0001"})
    assert "QUIXOTIC" in page.get_data(as_text=True).upper()
    logged = capsys.readouterr().err
    lines = request_lines(logged)
    assert len(lines) == 1, logged
    assert lines[0] | {"time": "", "duration_ms": 0} == {
        "time": "", "level": "INFO", "logger": "inclusive_access.requests", "message": "request",
        "request_id": "proxy-id-0001", "user_id": clinician_id, "method": "GET",
        "endpoint": "referrals.show_referral", "route": "/referrals/<int:referral_id>", "status": 200,
        "duration_ms": 0}
    assert page.headers["X-Request-ID"] == "proxy-id-0001"
    for private in ("QUIXOTIC", "ZEBEDEE", nhs_number, "SEARCH"):
        assert private not in logged.upper()


def test_a_request_id_that_is_not_sane_is_replaced(client):
    for given in ("short", "x" * 200, "id with spaces and <script>", ""):
        returned = client.get("/health", headers={"X-Request-ID": given}).headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", returned), (given, returned)


def test_the_error_page_shows_the_request_id_staff_can_quote(client, login_as):
    login_as("clinician")
    response = client.get("/referrals/2147483647")
    assert response.status_code == 404
    shown = re.search(r'id="request-id">([^<]+)<', response.get_data(as_text=True))
    assert shown, "no request id on the error page"
    assert shown.group(1) == response.headers["X-Request-ID"]


@ON_BOTH_DATABASES
def test_hsts_through_a_proxy_only_when_the_proxy_is_trusted(app, database_url):
    through_proxy = {"X-Forwarded-Proto": "https"}
    untrusted = app.test_client().get("/health", headers=through_proxy)
    assert "Strict-Transport-Security" not in untrusted.headers
    trusted_app = make_app(database_url, PROXY_FIX_X_PROTO=1)
    trusted = trusted_app.test_client().get("/health", headers=through_proxy)
    assert trusted.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in trusted_app.test_client().get("/health").headers


@pytest.fixture
def gunicorn(tmp_path):
    """gunicorn as production runs it (gunicorn.conf.py, wsgi:app), one worker, with a 3-second worker timeout."""
    port = _free_port()
    env = {**os.environ, "HOME": str(tmp_path), "SECRET_KEY": "gunicorn-test-key", "AUDIT_CHAIN_KEY": "7e57" * 16,
           "FHIR_TOKEN_KEY": "f41e" * 16,
           "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}", "GUNICORN_BIND": f"127.0.0.1:{port}",
           "WEB_CONCURRENCY": "1", "GUNICORN_TIMEOUT": "3"}
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
                              env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).close()  # noqa: S310 - local
                break
            except OSError:
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def slow_sender_held_for(port: int, give_up_after: float) -> float:
    """Seconds until the server drops (or answers) a client that sends one header line every half second."""
    with socket.create_connection(("127.0.0.1", port)) as client:
        client.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n")
        client.settimeout(0.5)
        started = time.monotonic()
        while time.monotonic() - started < give_up_after:
            try:
                client.sendall(b"X-Slow: 1\r\n")
                client.recv(1024)
                break
            except TimeoutError:
                continue
            except OSError:
                break
        return time.monotonic() - started


def test_gunicorn_cuts_off_a_slow_sender_and_keeps_serving(gunicorn, tmp_path):
    held = slow_sender_held_for(gunicorn, give_up_after=20)
    assert held < 8, f"a slow sender held the worker for {held:.1f} s"
    with urllib.request.urlopen(f"http://127.0.0.1:{gunicorn}/health", timeout=10) as response:  # noqa: S310
        assert response.status == 200
    assert not (tmp_path / ".gunicorn").exists(), "gunicorn opened a control socket"


def test_gunicorn_refuses_a_request_with_too_many_headers(gunicorn):
    with socket.create_connection(("127.0.0.1", gunicorn), timeout=10) as client:
        client.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n" + b"X-Many: 1\r\n" * 60 + b"\r\n")
        assert client.recv(1024).startswith(b"HTTP/1.1 4")
