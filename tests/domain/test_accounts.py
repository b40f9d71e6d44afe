"""Accounts: creation rules, login with a database-counted lockout, and revocable server-side sessions."""
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from inclusive_access.domain import accounts, events
from inclusive_access.domain.actors import SYSTEM, actor_for
from inclusive_access.domain.errors import AccountLocked, InvalidInput, LoginFailed, NotPermitted, StaleRecord
from inclusive_access.extensions import db
from inclusive_access.models import Event, User, UserSession
from tests.conftest import PASSWORD, make_app
from tests.factories import make_user

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
LOCKOUT = timedelta(minutes=15)
MAX_FAILURES = 5


def actions(session, user_id=None) -> list[str]:
    query = select(Event.action).order_by(Event.seq)
    if user_id is not None:
        query = query.where(Event.entity_type == "user", Event.entity_id == user_id)
    return list(session.scalars(query))


def login(session, username: str, password: str, now: datetime = T0) -> User:
    return accounts.authenticate(session, username, password, MAX_FAILURES, LOCKOUT, now=now)


def attempt(session, username: str, password: str, now: datetime = T0) -> str:
    """One login as the route does it: commit whatever happened, return the outcome's name."""
    try:
        login(session, username, password, now)
        outcome = "ok"
    except AccountLocked:
        outcome = "locked"
    except LoginFailed:
        outcome = "failed"
    session.commit()
    return outcome


@pytest.fixture
def manager(db_session) -> User:
    user = make_user(db_session, role="manager", username="mgr")
    db_session.commit()
    return user


@pytest.fixture
def staff(db_session) -> User:
    user = make_user(db_session, role="booking", username="booker")
    db_session.commit()
    return user


# --- Creating accounts ----------------------------------------------------------------------------

def test_create_user_stores_a_hash_and_writes_an_event(db_session, manager):
    user = accounts.create_user(db_session, actor_for(manager), "new.clinician", "New Clinician", "clinician",
                                "a long enough password")
    db_session.commit()
    assert user.role == "clinician"
    assert user.active
    assert user.failed_logins == 0
    assert "a long enough password" not in user.password_hash
    assert user.password_hash.startswith("$argon2id$")
    event = db_session.scalars(select(Event).where(Event.action == events.USER_CREATED,
                                                   Event.entity_id == user.id)).one()
    assert event.actor_id == manager.id
    assert json.loads(event.data) == {"username": "new.clinician", "role": "clinician"}


def test_system_may_create_users(db_session):
    user = accounts.create_user(db_session, SYSTEM, "first.manager", "First", "manager", "x" * 12)
    assert user.id is not None


@pytest.mark.parametrize("password", ["", "short", "x" * 11])
def test_short_password_is_refused(db_session, password):
    with pytest.raises(InvalidInput) as caught:
        accounts.create_user(db_session, SYSTEM, "someone", "Someone", "booking", password)
    assert set(caught.value.errors) == {"password"}
    assert "12 characters" in caught.value.errors["password"]


def test_duplicate_username_is_refused(db_session, staff):
    with pytest.raises(InvalidInput) as caught:
        accounts.create_user(db_session, SYSTEM, "booker", "Another", "clinician", "x" * 12)
    assert set(caught.value.errors) == {"username"}


@pytest.mark.parametrize("role", ["admin", "", "Manager", "system"])
def test_unknown_role_is_refused(db_session, role):
    with pytest.raises(InvalidInput) as caught:
        accounts.create_user(db_session, SYSTEM, "someone", "Someone", role, "x" * 12)
    assert set(caught.value.errors) == {"role"}


def test_all_problems_are_reported_together_and_nothing_is_written(db_session, staff):
    before = db_session.scalar(select(func.count()).select_from(User))
    with pytest.raises(InvalidInput) as caught:
        accounts.create_user(db_session, SYSTEM, "booker", "Again", "root", "short")
    assert set(caught.value.errors) == {"username", "role", "password"}
    assert db_session.scalar(select(func.count()).select_from(User)) == before


@pytest.mark.parametrize("role", ["booking", "clinician", "senior", "auditor"])
def test_only_managers_create_users(db_session, role):
    actor = make_user(db_session, role=role)
    with pytest.raises(NotPermitted):
        accounts.create_user(db_session, actor_for(actor), "someone", "Someone", "booking", "x" * 12)


# --- Login and lockout ----------------------------------------------------------------------------

def test_correct_password_logs_in_and_writes_an_event(db_session, staff):
    user = login(db_session, "booker", PASSWORD)
    db_session.commit()
    assert user.id == staff.id
    assert actions(db_session, staff.id)[-1] == events.LOGIN_SUCCEEDED


def test_wrong_password_fails_and_is_counted(db_session, staff):
    assert attempt(db_session, "booker", "wrong password") == "failed"
    assert attempt(db_session, "booker", "wrong password") == "failed"
    db_session.refresh(staff)
    assert staff.failed_logins == 2
    event = db_session.scalars(select(Event).where(Event.action == events.LOGIN_FAILED)
                               .order_by(Event.seq.desc())).first()
    assert json.loads(event.data) == {"reason": "wrong password", "failures": 2}


def test_success_resets_the_failure_count(db_session, staff):
    for _ in range(MAX_FAILURES - 1):
        assert attempt(db_session, "booker", "wrong password") == "failed"
    assert attempt(db_session, "booker", PASSWORD) == "ok"
    db_session.refresh(staff)
    assert staff.failed_logins == 0
    for _ in range(MAX_FAILURES - 1):
        assert attempt(db_session, "booker", "wrong password") == "failed"


def test_unknown_username_fails_like_a_wrong_password(db_session):
    assert attempt(db_session, "nobody", "whatever password") == "failed"
    event = db_session.scalars(select(Event).where(Event.action == events.LOGIN_FAILED)).one()
    assert event.entity_id is None
    assert json.loads(event.data) == {"username": "nobody", "reason": "unknown user"}


def test_five_wrong_passwords_lock_the_account(db_session, staff):
    outcomes = [attempt(db_session, "booker", "wrong password") for _ in range(MAX_FAILURES)]
    assert outcomes == ["failed"] * 4 + ["locked"]
    db_session.refresh(staff)
    assert staff.locked_until == T0 + LOCKOUT
    assert actions(db_session, staff.id).count(events.LOGIN_LOCKED) == 1
    assert actions(db_session, staff.id).count(events.LOGIN_FAILED) == 5


def test_locked_until_is_reported(db_session, staff):
    for _ in range(MAX_FAILURES - 1):
        attempt(db_session, "booker", "wrong password")
    with pytest.raises(AccountLocked) as caught:
        login(db_session, "booker", "wrong password")
    assert caught.value.until == T0 + LOCKOUT


def test_locked_account_refuses_even_the_right_password_until_the_lock_passes(db_session, staff):
    for _ in range(MAX_FAILURES):
        attempt(db_session, "booker", "wrong password")
    assert attempt(db_session, "booker", PASSWORD, now=T0 + timedelta(minutes=1)) == "locked"
    assert attempt(db_session, "booker", PASSWORD, now=T0 + LOCKOUT - timedelta(seconds=1)) == "locked"
    last = db_session.scalars(select(Event).order_by(Event.seq.desc())).first()
    assert (last.action, json.loads(last.data)) == (events.LOGIN_FAILED, {"reason": "locked"})
    assert attempt(db_session, "booker", PASSWORD, now=T0 + LOCKOUT + timedelta(seconds=1)) == "ok"
    db_session.refresh(staff)
    assert staff.locked_until is None
    assert staff.failed_logins == 0


def test_attempts_while_locked_do_not_extend_the_lock(db_session, staff):
    for _ in range(MAX_FAILURES):
        attempt(db_session, "booker", "wrong password")
    for minute in range(1, 10):
        assert attempt(db_session, "booker", "wrong password", now=T0 + timedelta(minutes=minute)) == "locked"
    db_session.refresh(staff)
    assert staff.locked_until == T0 + LOCKOUT


def test_a_new_run_of_failures_after_the_lock_locks_again(db_session, staff):
    for _ in range(MAX_FAILURES):
        attempt(db_session, "booker", "wrong password")
    later = T0 + LOCKOUT + timedelta(minutes=1)
    outcomes = [attempt(db_session, "booker", "wrong password", now=later) for _ in range(MAX_FAILURES)]
    assert outcomes == ["failed"] * 4 + ["locked"]


def test_lockout_holds_across_two_app_instances_sharing_one_database(app, database_url, db_session, staff):
    """Two workers: failures alternate between them and are counted once, in the database."""
    other = make_app(database_url)
    try:
        outcomes = []
        for i in range(MAX_FAILURES):
            if i % 2 == 0:
                outcomes.append(attempt(db_session, "booker", "wrong password"))
            else:
                with other.app_context():
                    outcomes.append(attempt(db.session, "booker", "wrong password"))
                    db.session.remove()
        assert outcomes == ["failed", "failed", "failed", "failed", "locked"]
        assert attempt(db_session, "booker", PASSWORD, now=T0 + timedelta(minutes=1)) == "locked"
        with other.app_context():
            assert attempt(db.session, "booker", PASSWORD, now=T0 + timedelta(minutes=1)) == "locked"
            db.session.remove()
        assert actions(db_session, staff.id).count(events.LOGIN_LOCKED) == 1
        assert events.verify(db_session).ok
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


def test_inactive_account_cannot_log_in(db_session, manager, staff):
    accounts.deactivate_user(db_session, actor_for(manager), staff)
    db_session.commit()
    assert attempt(db_session, "booker", PASSWORD) == "failed"
    last = db_session.scalars(select(Event).order_by(Event.seq.desc())).first()
    assert json.loads(last.data)["reason"] == "inactive"


# --- Sessions -----------------------------------------------------------------------------------

def resume(session, token, now):
    return accounts.resume_session(session, token, IDLE, ABSOLUTE, now=now)


def test_session_resumes_to_its_user_and_stores_only_a_hash(db_session, staff):
    token = accounts.start_session(db_session, staff, now=T0)
    db_session.commit()
    assert resume(db_session, token, T0 + timedelta(minutes=5)).id == staff.id
    stored = db_session.scalars(select(UserSession.token_hash)).all()
    assert len(stored) == 1
    assert token not in stored[0]
    assert len(stored[0]) == 64


@pytest.mark.parametrize("token", [None, "", "not-a-token"])
def test_missing_or_unknown_token_resumes_nothing(db_session, staff, token):
    accounts.start_session(db_session, staff, now=T0)
    assert resume(db_session, token, T0) is None


def test_each_login_gets_its_own_token(db_session, staff):
    tokens = {accounts.start_session(db_session, staff, now=T0) for _ in range(3)}
    assert len(tokens) == 3


def test_ended_session_cannot_be_replayed(db_session, staff):
    token = accounts.start_session(db_session, staff, now=T0)
    db_session.commit()
    accounts.end_session(db_session, token, staff)
    db_session.commit()
    assert resume(db_session, token, T0 + timedelta(minutes=1)) is None
    assert db_session.scalar(select(func.count()).select_from(UserSession)) == 0
    assert actions(db_session, staff.id)[-1] == events.LOGGED_OUT


def test_ending_one_session_leaves_the_users_other_sessions(db_session, staff):
    first = accounts.start_session(db_session, staff, now=T0)
    second = accounts.start_session(db_session, staff, now=T0)
    accounts.end_session(db_session, first, staff)
    assert resume(db_session, first, T0) is None
    assert resume(db_session, second, T0).id == staff.id


def test_idle_session_expires_after_30_minutes(db_session, staff):
    token = accounts.start_session(db_session, staff, now=T0)
    assert resume(db_session, token, T0 + timedelta(minutes=29)).id == staff.id
    assert resume(db_session, token, T0 + timedelta(minutes=29) + IDLE + timedelta(seconds=1)) is None
    # the row is gone, so the token stays dead even at an earlier clock
    assert resume(db_session, token, T0) is None


def test_idle_session_expires_without_activity(db_session, staff):
    token = accounts.start_session(db_session, staff, now=T0)
    assert resume(db_session, token, T0 + IDLE + timedelta(seconds=1)) is None


def test_activity_keeps_a_session_alive(db_session, staff):
    token = accounts.start_session(db_session, staff, now=T0)
    for minutes in range(20, 6 * 60, 20):
        assert resume(db_session, token, T0 + timedelta(minutes=minutes)) is not None, minutes


def test_session_ends_after_12_hours_however_active(db_session, staff):
    token = accounts.start_session(db_session, staff, now=T0)
    for minutes in range(20, 12 * 60 + 1, 20):
        assert resume(db_session, token, T0 + timedelta(minutes=minutes)) is not None, minutes
    assert resume(db_session, token, T0 + ABSOLUTE + timedelta(minutes=1)) is None


def test_deactivate_user_ends_their_sessions_and_writes_an_event(db_session, manager, staff):
    token = accounts.start_session(db_session, staff, now=T0)
    own = accounts.start_session(db_session, manager, now=T0)
    db_session.commit()
    accounts.deactivate_user(db_session, actor_for(manager), staff)
    db_session.commit()
    assert resume(db_session, token, T0) is None
    assert db_session.scalar(select(func.count()).select_from(UserSession)
                             .where(UserSession.user_id == staff.id)) == 0
    assert resume(db_session, own, T0).id == manager.id
    event = db_session.scalars(select(Event).where(Event.action == events.USER_DEACTIVATED)).one()
    assert (event.entity_id, event.actor_id) == (staff.id, manager.id)
    db_session.refresh(staff)
    assert staff.active is False


def test_deactivating_twice_writes_one_event(db_session, manager, staff):
    accounts.deactivate_user(db_session, actor_for(manager), staff)
    accounts.deactivate_user(db_session, actor_for(manager), staff)
    assert actions(db_session).count(events.USER_DEACTIVATED) == 1


def test_manager_cannot_deactivate_themself(db_session, manager):
    with pytest.raises(InvalidInput) as caught:
        accounts.deactivate_user(db_session, actor_for(manager), manager)
    assert set(caught.value.errors) == {"user"}
    db_session.refresh(manager)
    assert manager.active is True


@pytest.mark.parametrize("role", ["booking", "clinician", "senior", "auditor"])
def test_only_managers_deactivate_or_change_roles(db_session, staff, role):
    actor = actor_for(make_user(db_session, role=role))
    token = accounts.start_session(db_session, staff, now=T0)
    with pytest.raises(NotPermitted):
        accounts.deactivate_user(db_session, actor, staff)
    with pytest.raises(NotPermitted):
        accounts.change_role(db_session, actor, staff, "manager")
    with pytest.raises(NotPermitted):
        accounts.deactivate_user(db_session, SYSTEM, staff)
    assert staff.active
    assert staff.role == "booking"
    assert resume(db_session, token, T0).id == staff.id
    assert events.USER_DEACTIVATED not in actions(db_session)


def test_change_role_ends_sessions_and_writes_an_event(db_session, manager, staff):
    token = accounts.start_session(db_session, staff, now=T0)
    db_session.commit()
    accounts.change_role(db_session, actor_for(manager), staff, "clinician")
    db_session.commit()
    assert resume(db_session, token, T0) is None
    db_session.refresh(staff)
    assert staff.role == "clinician"
    event = db_session.scalars(select(Event).where(Event.action == events.USER_ROLE_CHANGED)).one()
    assert event.entity_id == staff.id
    assert json.loads(event.data) == {"from": "booking", "to": "clinician"}


def test_change_to_the_same_role_changes_nothing(db_session, manager, staff):
    token = accounts.start_session(db_session, staff, now=T0)
    accounts.change_role(db_session, actor_for(manager), staff, "booking")
    assert resume(db_session, token, T0) is not None
    assert events.USER_ROLE_CHANGED not in actions(db_session)


def test_change_to_an_unknown_role_is_refused(db_session, manager, staff):
    with pytest.raises(InvalidInput):
        accounts.change_role(db_session, actor_for(manager), staff, "superuser")
    assert staff.role == "booking"


def test_stale_version_is_refused(db_session, manager, staff):
    seen = staff.version
    accounts.change_role(db_session, actor_for(manager), staff, "senior")
    db_session.commit()
    assert staff.version == seen + 1
    with pytest.raises(StaleRecord):
        accounts.change_role(db_session, actor_for(manager), staff, "auditor", version=seen)
    with pytest.raises(StaleRecord):
        accounts.deactivate_user(db_session, actor_for(manager), staff, version=seen)
    accounts.deactivate_user(db_session, actor_for(manager), staff, version=staff.version)
    assert staff.active is False
