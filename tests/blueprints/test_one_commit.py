"""One commit per request: every route, for every role (allowed or refused), saving or showing errors, commits at
most once; a save commits exactly once; the session row's upkeep rides that commit rather than adding one. A page
that only reads leaves what it writes (its view logged, its session touched) to the write spool, applied after the
page in a commit of its own for everything spooled (write_spool.py), which is not the request's."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from inclusive_access import write_spool
from inclusive_access.extensions import db
from inclusive_access.models import ROLES, UserSession
from tests.blueprints.test_route_access import ROUTES, sample_ids  # noqa: F401 - the fixture, with its table
from tests.blueprints.test_security import UNSAFE, _signed_in_for, referral_ids  # noqa: F401 - referral_ids is a fixture

#: the one route that commits twice, by design: a sign-in attempt is counted and committed before the slow password
#: hash, so every worker sees it and no lock is held while the hash runs (RELIABILITY.md); the result is the second
TWO_COMMITS = {"auth.login": 2}


@pytest.fixture
def commits():
    """Every commit of a request's session while the test runs, in order; a savepoint's release is not one, nor a
    write spool's drain."""
    seen: list[Session] = []

    def note(session: Session) -> None:
        if not session.in_nested_transaction() and not session.info.get(write_spool.DRAIN):
            seen.append(session)

    event.listen(Session, "after_commit", note)
    yield seen
    event.remove(Session, "after_commit", note)


def _request(client, commits: list, method: str, url: str, data=None, **kwargs) -> tuple[int, int]:
    """(status, commits) of one request, the CSRF token made in the session beforehand."""
    token = client.csrf_token() if method == "POST" else None
    before = len(commits)
    if method == "POST":
        response = client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)
    else:
        response = client.get(url, **kwargs)
    return response.status_code, len(commits) - before


@pytest.mark.parametrize("role", ROLES)
def test_every_request_in_the_route_table_commits_at_most_once(client, login_as, sample_ids, commits,  # noqa: F811
                                                               role):
    """Pages (with their view logging), refusals (with their access.denied event) and forms re-shown with errors."""
    login_as(role)
    twice = []
    for endpoint, requests in ROUTES.items():
        for method, url, data, _status in requests:
            status, made = _request(client, commits, method, url.format(**sample_ids), data)
            if made > 1:
                twice.append(f"{method} {url} ({endpoint}, {status}): {made} commits")
    assert not twice, f"{role}: " + "; ".join(twice)


@pytest.mark.parametrize("endpoint", sorted(UNSAFE))
def test_every_save_commits_exactly_once(app, client, login_as, referral_ids, commits, endpoint):  # noqa: F811
    url, data = _signed_in_for(app, client, login_as, referral_ids, endpoint)
    status, made = _request(client, commits, "POST", url, data)
    assert status in (200, 303)
    assert made == TWO_COMMITS.get(endpoint, 1)


def _age_sessions(app, minutes: int) -> None:
    with app.app_context():
        db.session.execute(update(UserSession).values(
            last_seen_at=datetime.now(UTC) - timedelta(minutes=minutes)))
        db.session.commit()


def _last_seen(app) -> datetime:
    with app.app_context():
        return db.session.scalar(select(UserSession.last_seen_at))


def test_the_session_touch_rides_the_saves_one_commit(app, client, login_as, referral_ids, commits):  # noqa: F811
    login_as("clinician")
    _age_sessions(app, 5)  # due a touch (at most once a minute)
    aged = _last_seen(app)
    _role, url, data = UNSAFE["safeguarding.record_action"]
    assert _request(client, commits, "POST", url.format(**referral_ids), data) == (303, 1)
    assert _last_seen(app) > aged, "the touch was committed with the save"


def test_a_page_that_saves_nothing_leaves_the_session_touch_to_the_spool(app, client, login_as, commits,
                                                                         monkeypatch):
    login_as("booking")
    _age_sessions(app, 5)
    aged = _last_seen(app)
    spool, applied = app.extensions["write_spool"], []
    drain = spool.drain
    monkeypatch.setattr(spool, "drain", lambda: applied.append(drain()))
    assert _request(client, commits, "GET", "/triage/") == (200, 0)
    assert applied, "drained once the page was sent"
    assert _last_seen(app) > aged
    assert _request(client, commits, "GET", "/triage/") == (200, 0)
    assert len(applied) == 1, "touched a moment ago: nothing to write, nothing to drain"


def test_an_htmx_save_answers_its_fragment_after_the_one_commit(client, login_as, referral_ids, commits):  # noqa: F811
    login_as("booking")
    _role, url, data = UNSAFE["dna.save_barriers"]
    assert _request(client, commits, "POST", url.format(**referral_ids), data,
                    headers={"HX-Request": "true"}) == (200, 1)
