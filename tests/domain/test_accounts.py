"""Accounts: creation rules, passwords (own changes, temporary ones, the common-password list) and revocable
server-side sessions. Signing in is tests/domain/test_sign_in.py."""
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from inclusive_access.domain import accounts, actions
from inclusive_access.domain.actors import SYSTEM, actor_for
from inclusive_access.domain.errors import InvalidInput, NotPermitted, StaleRecord
from inclusive_access.models import Event, User, UserSession
from tests.conftest import PASSWORD
from tests.factories import make_user

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)


def user_actions(session, user_id=None) -> list[str]:
    query = select(Event.action).order_by(Event.seq)
    if user_id is not None:
        query = query.where(Event.entity_type == "user", Event.entity_id == user_id)
    return list(session.scalars(query))


@pytest.fixture
def manager(db_session) -> User:
    user = make_user(db_session, role="manager", username="mgr")
    db_session.commit()
    return user


# --- Creating accounts ----------------------------------------------------------------------------

def test_create_user_stores_a_hash_and_writes_an_event(db_session, manager):
    user = accounts.create_user(db_session, actor_for(manager), "new.clinician", "New Clinician", "clinician",
                                "a long enough password")
    db_session.commit()
    assert user.role == "clinician"
    assert user.active
    assert user.must_change_password, "a password the manager chose is temporary"
    assert "a long enough password" not in user.password_hash
    assert user.password_hash.startswith("$argon2id$")
    event = db_session.scalars(select(Event).where(Event.action == actions.USER_CREATED,
                                                   Event.entity_id == user.id)).one()
    assert event.actor_id == manager.id
    assert json.loads(event.data) == {"username": "new.clinician", "role": "clinician"}


def test_system_may_create_users(db_session):
    user = accounts.create_user(db_session, SYSTEM, "first.manager", "First", "manager", "x" * 12)
    assert user.id is not None
    assert not user.must_change_password, "`flask create-user` is the administrator choosing their own"


@pytest.mark.parametrize("password", ["", "short", "x" * 11])
def test_short_password_is_refused(db_session, password):
    with pytest.raises(InvalidInput) as caught:
        accounts.create_user(db_session, SYSTEM, "someone", "Someone", "booking", password)
    assert set(caught.value.errors) == {"password"}
    assert "12 characters" in caught.value.errors["password"]


def test_duplicate_username_is_refused(db_session, booking_user):
    with pytest.raises(InvalidInput) as caught:
        accounts.create_user(db_session, SYSTEM, "booker", "Another", "clinician", "x" * 12)
    assert set(caught.value.errors) == {"username"}


@pytest.mark.parametrize("role", ["admin", "", "Manager", "system"])
def test_unknown_role_is_refused(db_session, role):
    with pytest.raises(InvalidInput) as caught:
        accounts.create_user(db_session, SYSTEM, "someone", "Someone", role, "x" * 12)
    assert set(caught.value.errors) == {"role"}


def test_all_problems_are_reported_together_and_nothing_is_written(db_session, booking_user):
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


# --- Passwords ----------------------------------------------------------------------------------

@pytest.mark.parametrize("password", ["password1234", "PASSWORD1234", "Q1W2E3R4T5Y6", "qwerty 123456",
                                      "1qaz2wsx3edc", "Password2024!", "  iloveyou 12345"])
def test_common_passwords_are_refused_whatever_their_case_spaces_and_padding(db_session, password):
    with pytest.raises(InvalidInput) as caught:
        accounts.create_user(db_session, SYSTEM, "someone", "Someone", "booking", password)
    assert "too common" in caught.value.errors["password"]


def test_the_common_password_list_is_bundled_and_a_generated_password_passes_it():
    assert len(accounts._common_passwords()) > 19000
    assert accounts.password_problem(accounts.generate_password()) is None
    assert accounts.password_problem(PASSWORD) is None


def test_a_user_changes_their_password_and_every_other_session_ends(db_session, booking_user):
    others = [accounts.start_session(db_session, booking_user, now=T0) for _ in range(2)]
    accounts.start_session(db_session, booking_user, now=T0)
    token = accounts.change_password(db_session, booking_user, PASSWORD, "plum orbit lantern", now=T0)
    db_session.commit()
    assert resume(db_session, token, T0).id == booking_user.id
    assert [resume(db_session, other, T0) for other in others] == [None, None]
    assert db_session.scalar(select(func.count()).select_from(UserSession)) == 1
    assert accounts.verify_password(booking_user.password_hash, "plum orbit lantern")
    event = db_session.scalars(select(Event).where(Event.action == actions.PASSWORD_CHANGED)).one()
    assert (event.actor_id, event.entity_id, json.loads(event.data)) == (booking_user.id, booking_user.id,
                                                                       {"other_sessions_ended": 2})


@pytest.mark.parametrize(("current", "new", "field"), [
    ("not the password", "plum orbit lantern", "current_password"),
    (PASSWORD, "too short", "new_password"),
    (PASSWORD, "iloveyou12345", "new_password"),
    (PASSWORD, PASSWORD, "new_password"),
])
def test_a_refused_change_keeps_the_password_and_the_sessions(db_session, booking_user, current, new, field):
    token = accounts.start_session(db_session, booking_user, now=T0)
    with pytest.raises(InvalidInput) as caught:
        accounts.change_password(db_session, booking_user, current, new, now=T0)
    assert set(caught.value.errors) == {field}
    assert accounts.verify_password(booking_user.password_hash, PASSWORD)
    assert resume(db_session, token, T0) is not None
    assert actions.PASSWORD_CHANGED not in user_actions(db_session)


def test_replacing_a_temporary_password_clears_the_must_change_mark(db_session, manager):
    user = accounts.create_user(db_session, actor_for(manager), "temp.user", "Temp", "booking",
                                "a temporary passphrase")
    assert user.must_change_password
    accounts.change_password(db_session, user, "a temporary passphrase", "plum orbit lantern")
    assert not user.must_change_password


def test_a_manager_resets_a_password_which_is_temporary_and_ends_the_sessions(db_session, manager, booking_user):
    token = accounts.start_session(db_session, booking_user, now=T0)
    accounts.reset_password(db_session, actor_for(manager), booking_user, "a temporary passphrase",
                            version=booking_user.version)
    db_session.commit()
    assert booking_user.must_change_password
    assert accounts.verify_password(booking_user.password_hash, "a temporary passphrase")
    assert resume(db_session, token, T0) is None
    event = db_session.scalars(select(Event).where(Event.action == actions.PASSWORD_RESET)).one()
    assert (event.actor_id, event.entity_id, json.loads(event.data)) == (manager.id, booking_user.id, {})


def test_a_reset_is_refused_for_other_roles_for_oneself_for_a_leaver_and_from_a_stale_page(db_session, manager,
                                                                                          booking_user):
    with pytest.raises(NotPermitted):
        accounts.reset_password(db_session, actor_for(make_user(db_session, role="senior")), booking_user, "x" * 16)
    with pytest.raises(InvalidInput):
        accounts.reset_password(db_session, actor_for(manager), manager, "x" * 16)
    with pytest.raises(StaleRecord):
        accounts.reset_password(db_session, actor_for(manager), booking_user, "x" * 16,
                                version=booking_user.version - 1)
    accounts.deactivate_user(db_session, actor_for(manager), booking_user)
    with pytest.raises(InvalidInput):
        accounts.reset_password(db_session, actor_for(manager), booking_user, "x" * 16)
    assert actions.PASSWORD_RESET not in user_actions(db_session)
    assert accounts.verify_password(booking_user.password_hash, PASSWORD)


# --- Sessions -----------------------------------------------------------------------------------

def resume(session, token, now, seen_at=None):
    return accounts.resume_session(session, token, IDLE, ABSOLUTE, now=now, seen_at=seen_at)


def test_session_resumes_to_its_user_and_stores_only_a_hash(db_session, booking_user):
    token = accounts.start_session(db_session, booking_user, now=T0)
    db_session.commit()
    assert resume(db_session, token, T0 + timedelta(minutes=5)).id == booking_user.id
    stored = db_session.scalars(select(UserSession.token_hash)).all()
    assert len(stored) == 1
    assert token not in stored[0]
    assert len(stored[0]) == 64


@pytest.mark.parametrize("token", [None, "", "not-a-token"])
def test_missing_or_unknown_token_resumes_nothing(db_session, booking_user, token):
    accounts.start_session(db_session, booking_user, now=T0)
    assert resume(db_session, token, T0) is None


def test_each_login_gets_its_own_token(db_session, booking_user):
    tokens = {accounts.start_session(db_session, booking_user, now=T0) for _ in range(3)}
    assert len(tokens) == 3


def test_ended_session_cannot_be_replayed(db_session, booking_user):
    token = accounts.start_session(db_session, booking_user, now=T0)
    db_session.commit()
    accounts.end_session(db_session, token, booking_user)
    db_session.commit()
    assert resume(db_session, token, T0 + timedelta(minutes=1)) is None
    assert db_session.scalar(select(func.count()).select_from(UserSession)) == 0
    assert user_actions(db_session, booking_user.id)[-1] == actions.LOGGED_OUT


def test_ending_one_session_leaves_the_users_other_sessions(db_session, booking_user):
    first = accounts.start_session(db_session, booking_user, now=T0)
    second = accounts.start_session(db_session, booking_user, now=T0)
    accounts.end_session(db_session, first, booking_user)
    assert resume(db_session, first, T0) is None
    assert resume(db_session, second, T0).id == booking_user.id


def test_idle_session_expires_after_30_minutes(db_session, booking_user):
    token = accounts.start_session(db_session, booking_user, now=T0)
    assert resume(db_session, token, T0 + timedelta(minutes=29)).id == booking_user.id
    assert resume(db_session, token, T0 + timedelta(minutes=29) + IDLE + timedelta(seconds=1)) is None
    # the row is gone, so the token stays dead even at an earlier clock
    assert resume(db_session, token, T0) is None


def test_idle_session_expires_without_activity(db_session, booking_user):
    token = accounts.start_session(db_session, booking_user, now=T0)
    assert resume(db_session, token, T0 + IDLE + timedelta(seconds=1)) is None


def test_idle_time_runs_from_the_last_request_not_the_last_touch(db_session, booking_user):
    """The row is touched at most once a minute; the cookie's time of the last request makes the limit exact."""
    token = accounts.start_session(db_session, booking_user, now=T0)
    last = T0 + timedelta(seconds=50)
    assert accounts.resume_session(db_session, token, IDLE, ABSOLUTE, now=last, seen_at=T0) is not None
    db_session.commit()
    assert db_session.scalar(select(UserSession.last_seen_at)) == T0, "not touched: too soon"
    alive = accounts.resume_session(db_session, token, IDLE, ABSOLUTE, now=last + IDLE - timedelta(seconds=1),
                                    seen_at=last)
    assert alive is not None, "idle a second less than the limit"
    later = last + IDLE - timedelta(seconds=1)
    assert accounts.resume_session(db_session, token, IDLE, ABSOLUTE, now=later + IDLE + timedelta(seconds=1),
                                   seen_at=later) is None, "idle a second more than the limit"


def test_a_cookie_cannot_claim_activity_in_the_future(db_session, booking_user):
    token = accounts.start_session(db_session, booking_user, now=T0)
    ahead = T0 + timedelta(days=1)
    assert resume(db_session, token, T0 + IDLE + timedelta(seconds=1), seen_at=ahead) is None


def test_activity_keeps_a_session_alive(db_session, booking_user):
    token = accounts.start_session(db_session, booking_user, now=T0)
    for minutes in range(20, 6 * 60, 20):
        assert resume(db_session, token, T0 + timedelta(minutes=minutes)) is not None, minutes


def test_session_ends_after_12_hours_however_active(db_session, booking_user):
    token = accounts.start_session(db_session, booking_user, now=T0)
    for minutes in range(20, 12 * 60 + 1, 20):
        assert resume(db_session, token, T0 + timedelta(minutes=minutes)) is not None, minutes
    assert resume(db_session, token, T0 + ABSOLUTE + timedelta(minutes=1)) is None


def test_deactivate_user_ends_their_sessions_and_writes_an_event(db_session, manager, booking_user):
    token = accounts.start_session(db_session, booking_user, now=T0)
    own = accounts.start_session(db_session, manager, now=T0)
    db_session.commit()
    accounts.deactivate_user(db_session, actor_for(manager), booking_user)
    db_session.commit()
    assert resume(db_session, token, T0) is None
    assert db_session.scalar(select(func.count()).select_from(UserSession)
                             .where(UserSession.user_id == booking_user.id)) == 0
    assert resume(db_session, own, T0).id == manager.id
    event = db_session.scalars(select(Event).where(Event.action == actions.USER_DEACTIVATED)).one()
    assert (event.entity_id, event.actor_id) == (booking_user.id, manager.id)
    db_session.refresh(booking_user)
    assert booking_user.active is False


def test_deactivating_twice_writes_one_event(db_session, manager, booking_user):
    accounts.deactivate_user(db_session, actor_for(manager), booking_user)
    accounts.deactivate_user(db_session, actor_for(manager), booking_user)
    assert user_actions(db_session).count(actions.USER_DEACTIVATED) == 1


def test_manager_cannot_deactivate_themself(db_session, manager):
    with pytest.raises(InvalidInput) as caught:
        accounts.deactivate_user(db_session, actor_for(manager), manager)
    assert set(caught.value.errors) == {"user"}
    db_session.refresh(manager)
    assert manager.active is True


@pytest.mark.parametrize("role", ["booking", "clinician", "senior", "auditor"])
def test_only_managers_deactivate_or_change_roles(db_session, booking_user, role):
    actor = actor_for(make_user(db_session, role=role))
    token = accounts.start_session(db_session, booking_user, now=T0)
    with pytest.raises(NotPermitted):
        accounts.deactivate_user(db_session, actor, booking_user)
    with pytest.raises(NotPermitted):
        accounts.change_role(db_session, actor, booking_user, "manager")
    with pytest.raises(NotPermitted):
        accounts.deactivate_user(db_session, SYSTEM, booking_user)
    assert booking_user.active
    assert booking_user.role == "booking"
    assert resume(db_session, token, T0).id == booking_user.id
    assert actions.USER_DEACTIVATED not in user_actions(db_session)


def test_change_role_ends_sessions_and_writes_an_event(db_session, manager, booking_user):
    token = accounts.start_session(db_session, booking_user, now=T0)
    db_session.commit()
    accounts.change_role(db_session, actor_for(manager), booking_user, "clinician")
    db_session.commit()
    assert resume(db_session, token, T0) is None
    db_session.refresh(booking_user)
    assert booking_user.role == "clinician"
    event = db_session.scalars(select(Event).where(Event.action == actions.USER_ROLE_CHANGED)).one()
    assert event.entity_id == booking_user.id
    assert json.loads(event.data) == {"from": "booking", "to": "clinician"}


def test_change_to_the_same_role_changes_nothing(db_session, manager, booking_user):
    token = accounts.start_session(db_session, booking_user, now=T0)
    accounts.change_role(db_session, actor_for(manager), booking_user, "booking")
    assert resume(db_session, token, T0) is not None
    assert actions.USER_ROLE_CHANGED not in user_actions(db_session)


def test_change_to_an_unknown_role_is_refused(db_session, manager, booking_user):
    with pytest.raises(InvalidInput):
        accounts.change_role(db_session, actor_for(manager), booking_user, "superuser")
    assert booking_user.role == "booking"


def test_stale_version_is_refused(db_session, manager, booking_user):
    seen = booking_user.version
    accounts.change_role(db_session, actor_for(manager), booking_user, "senior")
    db_session.commit()
    assert booking_user.version == seen + 1
    with pytest.raises(StaleRecord):
        accounts.change_role(db_session, actor_for(manager), booking_user, "auditor", version=seen)
    with pytest.raises(StaleRecord):
        accounts.deactivate_user(db_session, actor_for(manager), booking_user, version=seen)
    accounts.deactivate_user(db_session, actor_for(manager), booking_user, version=booking_user.version)
    assert booking_user.active is False
