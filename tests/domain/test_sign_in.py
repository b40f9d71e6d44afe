"""Signing in: throttles per address and per account name, a lock per account at one address with backoff, one
password check and one answer whatever the refusal, all counted in the database that every worker shares."""
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from inclusive_access.domain import accounts, actions, event_chain, sign_in
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.errors import LoginFailed, LoginThrottled
from inclusive_access.extensions import db
from inclusive_access.models import Event
from tests.conftest import PASSWORD, make_app
from tests.factories import make_user

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RULES = sign_in.SignInRules()  # the defaults: 5 failures lock a pair for 15 minutes; 20 a source, 10 an account
HOME, AWAY = "192.0.2.10", "203.0.113.66"


def attempt(session, username: str, password: str = PASSWORD, source: str = HOME, now: datetime = T0,
            rules: sign_in.SignInRules = RULES) -> str:
    """One sign-in as the route does it, committing after each step; returns the outcome's name."""
    try:
        started = sign_in.start_sign_in(session, username, source, rules, now=now)
        session.commit()
        sign_in.finish_sign_in(session, started, password, rules, now=now)
        outcome = "ok"
    except LoginThrottled:
        outcome = "throttled"
    except LoginFailed:
        outcome = "failed"
    session.commit()
    return outcome


def fail(session, times: int, username: str = "booker", source: str = HOME, now: datetime = T0) -> list[str]:
    return [attempt(session, username, "a wrong password", source, now) for _ in range(times)]


def logged(session, action: str) -> list[dict]:
    return [json.loads(e.data) for e in session.scalars(select(Event).where(Event.action == action)
                                                        .order_by(Event.seq))]


# --- Signing in and the lock per account and address ---------------------------------------------------------

def test_the_right_password_signs_in_and_writes_an_event(db_session, booking_user):
    assert attempt(db_session, "booker") == "ok"
    assert logged(db_session, actions.LOGIN_SUCCEEDED) == [{"source": HOME}]


def test_wrong_passwords_are_counted_for_the_account_at_that_address(db_session, booking_user):
    assert fail(db_session, 2) == ["failed", "failed"]
    assert logged(db_session, actions.LOGIN_FAILED)[-1] == {"reason": "wrong password", "source": HOME,
                                                           "failures": 2}


def test_a_success_clears_the_count(db_session, booking_user):
    fail(db_session, RULES.max_failures - 1)
    assert attempt(db_session, "booker") == "ok"
    assert fail(db_session, RULES.max_failures - 1) == ["failed"] * (RULES.max_failures - 1)
    assert attempt(db_session, "booker") == "ok"


def test_five_failures_lock_the_account_at_that_address_only(db_session, booking_user):
    assert fail(db_session, RULES.max_failures, source=AWAY) == ["failed"] * RULES.max_failures
    assert attempt(db_session, "booker", source=AWAY) == "failed", "the right password, from the locked address"
    assert attempt(db_session, "booker", source=HOME) == "ok", "the user at their own address"
    assert logged(db_session, actions.LOGIN_LOCKED) == [
        {"until": (T0 + RULES.lockout).isoformat(), "source": AWAY, "lockouts": 1}]
    assert logged(db_session, actions.LOGIN_FAILED)[-1] == {"reason": "locked", "source": AWAY}


def test_the_lock_lasts_its_time_to_the_second_and_attempts_do_not_extend_it(db_session, booking_user):
    fail(db_session, RULES.max_failures)
    for minute in (1, 7, 14):
        assert attempt(db_session, "booker", now=T0 + timedelta(minutes=minute)) == "failed", minute
    assert attempt(db_session, "booker", now=T0 + RULES.lockout - timedelta(seconds=1)) == "failed"
    assert attempt(db_session, "booker", now=T0 + RULES.lockout + timedelta(seconds=1)) == "ok"


def test_each_lock_in_a_row_lasts_twice_as_long_up_to_the_longest(db_session, booking_user):
    now, lengths = T0, []
    for _ in range(7):
        fail(db_session, RULES.max_failures, now=now)
        until = datetime.fromisoformat(logged(db_session, actions.LOGIN_LOCKED)[-1]["until"])
        lengths.append(int((until - now) / timedelta(minutes=1)))
        now = until + timedelta(seconds=1)
    assert lengths == [15, 30, 60, 120, 240, 240, 240]
    assert attempt(db_session, "booker", now=now) == "ok"
    fail(db_session, RULES.max_failures, now=now)
    assert logged(db_session, actions.LOGIN_LOCKED)[-1]["until"] == (now + RULES.lockout).isoformat(), \
        "a success starts the backoff again"


def test_unknown_names_fail_and_lock_exactly_as_real_ones_do(db_session, booking_user):
    real = fail(db_session, RULES.max_failures + 1, username="booker")
    unknown = fail(db_session, RULES.max_failures + 1, username="nobody")
    assert real == unknown == ["failed"] * (RULES.max_failures + 1)
    reasons = [(d["reason"], d.get("username")) for d in logged(db_session, actions.LOGIN_FAILED)]
    assert reasons[RULES.max_failures] == ("locked", None)
    assert reasons[-1] == ("locked", "nobody")
    assert reasons[-2] == ("unknown user", "nobody")


def test_every_refusal_costs_one_password_check(db_session, booking_user):
    leaver = make_user(db_session, role="clinician", username="leaver")
    make_user(db_session, role="senior", username="locked.out")
    accounts.deactivate_user(db_session, actor_for(make_user(db_session, role="manager")), leaver)
    db_session.commit()
    fail(db_session, RULES.max_failures, username="locked.out", source=AWAY)
    cases = {"unknown": ("nobody", PASSWORD), "deactivated": ("leaver", PASSWORD),
             "locked": ("locked.out", PASSWORD), "wrong password": ("booker", "a wrong password")}
    checks = {}
    for case, (username, password) in cases.items():
        before = accounts.password_hasher.verified
        assert attempt(db_session, username, password, source=AWAY) == "failed", case
        checks[case] = accounts.password_hasher.verified - before
    assert checks == dict.fromkeys(cases, 1)


def test_a_password_reset_between_the_two_steps_refuses_the_old_one(db_session, booking_user):
    started = sign_in.start_sign_in(db_session, "booker", HOME, RULES, now=T0)
    db_session.commit()
    accounts.reset_password(db_session, actor_for(make_user(db_session, role="manager")), booking_user,
                            "a brand new passphrase")
    db_session.commit()
    with pytest.raises(LoginFailed):
        sign_in.finish_sign_in(db_session, started, PASSWORD, RULES, now=T0)


def test_a_reset_lifts_the_accounts_locks(db_session, booking_user):
    fail(db_session, RULES.max_failures)
    accounts.reset_password(db_session, actor_for(make_user(db_session, role="manager")), booking_user,
                            "a temporary passphrase")
    db_session.commit()
    assert attempt(db_session, "booker", "a temporary passphrase") == "ok"


# --- Throttles: refused before any password check ----------------------------------------------------------------

def test_an_address_past_its_limit_is_refused_before_any_check_until_its_window_ends(db_session):
    for i in range(RULES.source_limit):
        assert attempt(db_session, f"guess{i}", "a wrong password", AWAY) == "failed"
    before = accounts.password_hasher.verified
    later = T0 + timedelta(minutes=2)
    with pytest.raises(LoginThrottled) as caught:
        sign_in.start_sign_in(db_session, "guess-more", AWAY, RULES, now=later)
    assert caught.value.retry_after == 3 * 60
    assert accounts.password_hasher.verified == before
    db_session.commit()
    assert attempt(db_session, "guess-more", "a wrong password", AWAY, T0 + RULES.source_window) == "failed"


def test_a_throttled_burst_writes_one_event_and_each_new_burst_one_more(db_session):
    for burst in range(3):
        start = T0 + burst * RULES.source_window
        outcomes = [attempt(db_session, f"guess{i}", "a wrong password", AWAY, start + timedelta(seconds=i))
                    for i in range(RULES.source_limit + 15)]
        assert outcomes.count("throttled") == 15
        assert len(logged(db_session, actions.LOGIN_THROTTLED)) == burst + 1
    assert logged(db_session, actions.LOGIN_THROTTLED)[0] == {
        "scope": "source", "source": AWAY, "username": f"guess{RULES.source_limit}",
        "until": (T0 + RULES.source_window).isoformat()}


def test_successes_give_their_count_back(db_session, booking_user):
    for _ in range(RULES.source_limit * 2):
        assert attempt(db_session, "booker") == "ok"
    assert fail(db_session, 4) == ["failed"] * 4


def test_the_account_limit_refuses_new_addresses_but_not_ones_the_account_signed_in_from(db_session, booking_user):
    assert attempt(db_session, "booker", source=HOME) == "ok"
    for i in range(RULES.account_limit):
        assert attempt(db_session, "booker", "a wrong password", f"198.51.100.{i}") == "failed"
    assert attempt(db_session, "booker", source="198.51.100.200") == "throttled"
    assert attempt(db_session, "nobody", "a wrong password", source="198.51.100.201") == "failed"
    assert attempt(db_session, "booker", source=HOME) == "ok"
    assert [d["scope"] for d in logged(db_session, actions.LOGIN_THROTTLED)] == ["account"]


def test_concurrent_attempts_cannot_all_slip_under_the_limit(app):
    rules = sign_in.SignInRules(source_limit=5)

    def one(i: int) -> str:
        with app.app_context():
            try:
                return attempt(db.session, f"racer{i}", "a wrong password", AWAY, rules=rules)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(one, range(18)))
    assert sorted(outcomes) == ["failed"] * 5 + ["throttled"] * 13


def test_counts_are_shared_by_two_app_instances(app, database_url, db_session, booking_user):
    """Two workers: failures alternate between them and lock once, in the database."""
    other = make_app(database_url)
    try:
        outcomes = []
        for i in range(RULES.max_failures + 1):
            if i % 2 == 0:
                outcomes.append(attempt(db_session, "booker", "a wrong password" if i < RULES.max_failures
                                        else PASSWORD))
            else:
                with other.app_context():
                    outcomes.append(attempt(db.session, "booker", "a wrong password"))
                    db.session.remove()
        assert outcomes == ["failed"] * (RULES.max_failures + 1), "locked, even for the right password"
        assert len(logged(db_session, actions.LOGIN_LOCKED)) == 1
        assert event_chain.verify(db_session).ok
        db_session.commit()
    finally:
        with other.app_context():
            db.engine.dispose()


def test_the_two_app_instances_are_really_separate(app, database_url, db_session):
    other = make_app(database_url)
    try:
        with other.app_context():
            other_session, other_engine = db.session(), db.engine
            db.session.remove()
        assert other_engine is not db_session.get_bind()
        assert other_session is not db_session()
    finally:
        with other.app_context():
            db.engine.dispose()
