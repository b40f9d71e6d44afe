"""Input no browser sends (huge ids, dates past year 9999, control characters, oversized chunked bodies) is
refused with the NHS.UK error page, never a 500."""
import http.client
import re
from urllib.parse import urlsplit

import pytest

from inclusive_access import security
from inclusive_access.extensions import db
from tests.blueprints.pages import sign_in
from tests.conftest import own_app
from tests.factories import make_referral, make_user
from tests.serving import serve

#: beyond SQLite's 64-bit integers, and beyond PostgreSQL's 32-bit INTEGER ids
HUGE_IDS = (2**63, 2**31)
NHS_ERROR_PAGE = "nhsuk-header"


@pytest.fixture
def app(database_url):
    """Errors answered as the production app answers them (a 500 page), so every route can be counted."""
    yield from own_app(database_url, PROPAGATE_EXCEPTIONS=False)


def signed_in(app, role: str):
    """A client signed in as a new user of `role`."""
    with app.app_context():
        make_user(db.session, role=role, username=f"bad.{role}")
        db.session.commit()
    client = app.test_client()
    assert sign_in(client, f"bad.{role}").status_code == 303
    return client


def test_every_id_route_answers_404_to_an_id_beyond_the_database_integer(app):
    """Each `<int:...>` route, asked by a role it admits, for ids of 2^31 and 2^63: not found, on the NHS page."""
    clients = {}
    problems = []
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        role = sorted(security.ACCESS[rule.endpoint])[0]
        client = clients.get(role) or clients.setdefault(role, signed_in(app, role))
        for huge in HUGE_IDS:
            path = re.sub(r"<int:[^>]+>", str(huge), rule.rule)
            method = "GET" if "GET" in rule.methods else "POST"
            response = client.open(path, method=method)
            if response.status_code != 404 or NHS_ERROR_PAGE not in response.get_data(as_text=True):
                problems.append(f"{method} {path}: {response.status_code}")
    assert not problems, f"{len(problems)} answers were not a 404 page: {problems}"


def test_a_day_past_year_9999_on_the_access_log_is_a_bad_request(app):
    client = signed_in(app, "auditor")
    with app.app_context():
        user_id = make_user(db.session, role="clinician").id
        db.session.commit()
    for query in ("last=9999-12-31", "first=9999-12-31&last=9999-12-31"):
        response = client.get(f"/audit/users/{user_id}/access?{query}")
        assert response.status_code == 400, query
        assert "Sorry, there is a problem with the request" in response.get_data(as_text=True)


def test_a_control_character_in_the_query_string_is_a_bad_request(app):
    """A NUL reaches PostgreSQL as an error unless it is refused first; no filter or lookup needs any control
    character."""
    auditor = signed_in(app, "auditor")
    clinician = signed_in(app, "clinician")
    with app.app_context():
        referral = make_referral(db.session)
        db.session.commit()
        referral_id, patient_id = referral.id, referral.patient_id
    asks = [(auditor, f"/audit/referrals/{referral_id}/timeline?action=%00"),
            (auditor, f"/audit/patients/{patient_id}/timeline?action=referral.received%00"),
            (auditor, "/reports/equity?pathway=%00"),
            (clinician, "/referrals/list?state=%01"),
            (clinician, "/triage/worklist?pathway=msk%1f"),
            (clinician, "/intake/lookup-patient?nhs_number=%00"),
            (clinician, "/referrals/list?%00=1"),
            (auditor.application.test_client(), "/auth/login?next=/referrals/%00"),
            (auditor.application.test_client(), "/auth/login?next=/%09/evil.example")]
    answers = {path: client.get(path) for client, path in asks}
    wrong = {path: r.status_code for path, r in answers.items()
             if r.status_code != 400 or "Sorry, there is a problem with the request" not in r.get_data(as_text=True)}
    assert not wrong, f"{len(wrong)} of {len(asks)} were not a 400 page: {wrong}"


def test_ordinary_query_strings_still_work(app):
    client = signed_in(app, "clinician")
    assert client.get("/referrals/list?state=received&flagged=yes&page=2").status_code == 200


def chunked_post(url: str, path: str, cookie: str, form_prefix: bytes, megabytes: int) -> tuple[int, int]:
    """POST a urlencoded form as chunked transfer encoding (no Content-Length), padding its last field to
    `megabytes`; the status and the length of the answer."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    connection.putrequest("POST", path)
    connection.putheader("Cookie", cookie)
    connection.putheader("Content-Type", "application/x-www-form-urlencoded")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    chunk = b"A" * 65536
    try:
        connection.send(b"%x\r\n%s\r\n" % (len(form_prefix), form_prefix))
        for _ in range(megabytes * 16):
            connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        connection.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed before reading everything: the answer is what counts
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, len(body)


def test_a_chunked_body_over_the_limit_is_refused(app):
    """Chunked bodies carry no Content-Length, so MAX_CONTENT_LENGTH alone let the first 16 MB of a 100 MB body be
    read as the form and echoed back."""
    with serve(app) as url:
        parts = urlsplit(url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        connection.request("GET", "/auth/login")
        page = connection.getresponse()
        cookie = page.getheader("Set-Cookie").split(";")[0]
        token = re.search(r'"X-CSRFToken": "([^"]+)"', page.read().decode()).group(1)
        connection.close()
        prefix = f"csrf_token={token}&password=x&username=".encode()
        too_big = chunked_post(url, "/auth/login", cookie, prefix, 20)
        small = chunked_post(url, "/auth/login", cookie, prefix, 0)
    assert too_big[0] == 413, f"20 MB chunked: {too_big[0]}, {too_big[1]:,} bytes back"
    assert small[0] == 200, small
