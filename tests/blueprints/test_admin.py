"""User administration by the manager, its events, and sign-in failures with lockout."""
import html
import json

import pytest

from inclusive_access.extensions import db
from inclusive_access.models import User
from tests.blueprints.pages import field_names, page_text, sign_in
from tests.blueprints.records import count, events
from tests.conftest import ON_BOTH_DATABASES, post_form
from tests.factories import make_user

NEW_USER = {"username": "new.clinician", "display_name": "Nia Clinician", "role": "clinician",
            "password": "a long temporary password"}


def _user(app, username: str) -> User:
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == username))
        db.session.expunge_all()
        return user


def _make(app, username: str, role: str = "booking") -> int:
    with app.app_context():
        user_id = make_user(db.session, role=role, username=username).id
        db.session.commit()
    return user_id


def test_a_manager_adds_a_user_who_can_then_sign_in(app, client, login_as):
    manager_id = login_as("manager")
    form = client.get("/admin/users/new")
    assert form.status_code == 200
    assert set(NEW_USER) <= field_names(form.get_data(as_text=True))
    response = post_form(client, "/admin/users/new", NEW_USER)
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/users"
    listing = page_text(client.get("/admin/users"))
    assert "Account new.clinician created with the clinician role." in listing
    assert "Nia Clinician" in listing
    created = events(app, "user.created")[-1]
    assert created.actor_id == manager_id
    assert json.loads(created.data) == {"username": "new.clinician",
                                                                           "role": "clinician"}
    newcomer = app.test_client()
    assert sign_in(newcomer, "new.clinician", NEW_USER["password"]).status_code == 303
    assert _replace(newcomer, NEW_USER["password"]).status_code == 303, "first, a password of their own"
    assert newcomer.get("/intake/new").status_code == 200, "with the clinician's access"
    assert newcomer.get("/admin/users").status_code == 403


# The rule that needs the accounts, and one of the form's own (tests/blueprints/test_form_rules.py has the rest).
@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"password": "short"}, "password", "Use 12 to 256 characters"),
    ({"username": "test.manager"}, "username", "That username is already taken"),
])
def test_bad_new_user_input_is_shown_again_with_errors(app, client, login_as, overrides, field, message):
    login_as("manager")
    users_before = count(app, User)
    response = post_form(client, "/admin/users/new", {**NEW_USER, **overrides})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "There is a problem" in body
    assert f'href="#{field}"' in body
    error = body.index(f'id="{field}-error"')
    assert message in html.unescape(body[error:error + 300])
    assert 'value="a long temporary password"' not in body, "the password is never echoed"
    assert count(app, User) == users_before
    assert not [e for e in events(app, "user.created") if "new.clinician" in e.data]


def test_a_manager_changes_a_role_and_it_is_evented(app, client, login_as):
    target = _make(app, "changing")
    manager_id = login_as("manager")
    response = post_form(client, f"/admin/users/{target}/role", {"role": "senior", "version": "1"})
    assert response.status_code == 303
    assert "changing now has the senior role and must sign in again." in page_text(client.get("/admin/users"))
    assert _user(app, "changing").role == "senior"
    changed = events(app, "user.role_changed")
    assert len(changed) == 1
    assert changed[0].actor_id == manager_id
    assert changed[0].entity_id == target
    assert json.loads(changed[0].data) == {"from": "booking", "to": "senior"}


def test_a_role_change_from_a_stale_page_is_refused(app, client, login_as):
    target = _make(app, "stale")
    login_as("manager")
    assert post_form(client, f"/admin/users/{target}/role", {"role": "senior", "version": "1"}).status_code == 303
    response = post_form(client, f"/admin/users/{target}/role", {"role": "auditor", "version": "1"})
    assert response.status_code == 409
    assert _user(app, "stale").role == "senior"
    assert len(events(app, "user.role_changed")) == 1


def test_bad_role_change_requests_are_refused(app, client, login_as):
    target = _make(app, "target")
    login_as("manager")
    assert post_form(client, f"/admin/users/{target}/role", {"role": "root", "version": "1"}).status_code == 400
    assert post_form(client, f"/admin/users/{target}/role", {"role": "senior"}).status_code == 400
    assert post_form(client, "/admin/users/999999/role", {"role": "senior", "version": "1"}).status_code == 404
    assert _user(app, "target").role == "booking"


def test_a_manager_deactivates_a_user_who_can_no_longer_sign_in(app, client, login_as):
    target = _make(app, "leaver")
    manager_id = login_as("manager")
    response = post_form(client, f"/admin/users/{target}/deactivate", {"version": "1"})
    assert response.status_code == 303
    listing = page_text(client.get("/admin/users"))
    assert "leaver is deactivated and signed out everywhere." in listing
    assert "Deactivated" in listing
    assert _user(app, "leaver").active is False
    deactivated = events(app, "user.deactivated")
    assert [(e.actor_id, e.entity_id) for e in deactivated] == [(manager_id, target)]
    leaver = app.test_client()
    response = sign_in(leaver, "leaver")
    assert response.status_code == 200
    assert "The username or password is not correct." in page_text(response)


def test_a_manager_cannot_deactivate_themself(app, client, login_as):
    manager_id = login_as("manager")
    listing = client.get("/admin/users").get_data(as_text=True)
    assert f"/admin/users/{manager_id}/deactivate" not in listing, "no button for yourself"
    response = post_form(client, f"/admin/users/{manager_id}/deactivate", {"version": "1"})
    assert response.status_code == 303
    page = page_text(client.get(response.headers["Location"]))
    assert "You cannot deactivate your own account" in page
    assert _user(app, "test.manager").active is True
    assert not events(app, "user.deactivated")
    assert client.get("/admin/users").status_code == 200, "still signed in"


def test_a_manager_cannot_change_their_own_role(app, client, login_as):
    manager_id = login_as("manager")
    assert f"/admin/users/{manager_id}/role" not in client.get("/admin/users").get_data(as_text=True)
    response = post_form(client, f"/admin/users/{manager_id}/role", {"role": "auditor", "version": "1"})
    assert response.status_code == 303
    assert "You cannot change your own role: ask another manager" in page_text(client.get(response.headers["Location"]))
    assert _user(app, "test.manager").role == "manager"
    assert not events(app, "user.role_changed")


def test_a_wrong_password_shows_a_message_and_five_failures_lock_the_account_here(app, client):
    _make(app, "forgetful")
    message = ("The username or password is not correct. After 5 failed attempts, signing in to an account from "
               "this network address pauses for 15 minutes or more.")
    for attempt in range(1, 6):
        response = sign_in(client, "forgetful", "not the password")
        assert response.status_code == 200, attempt
        page = page_text(response)
        assert "There is a problem" in page
        assert message in page
    response = sign_in(client, "forgetful")  # even the right password, while locked: the same answer
    assert response.status_code == 200
    assert message in page_text(response)
    assert client.get("/referrals/list").status_code == 302, "not signed in"
    assert len(events(app, "login.locked_out")) == 1
    assert len(events(app, "login.failed")) == 6
    assert not events(app, "login.succeeded")


def test_an_unknown_username_gets_the_same_message(app, client):
    response = sign_in(client, "nobody.here", "whatever it is")
    assert response.status_code == 200
    assert "The username or password is not correct." in page_text(response)
    assert json.loads(events(app, "login.failed")[-1].data)["reason"] == "unknown user"


def test_a_username_with_a_nul_byte_is_a_form_error_not_a_crash(app, client):
    response = sign_in(client, "evil\x00user", "whatever it is")
    assert response.status_code == 200
    assert "There is a problem" in response.get_data(as_text=True)
    assert client.get("/referrals/list").status_code == 302


# -- temporary passwords -------------------------------------------------------------------------------------

REPLACEMENT = "violet harbour kettle 7"


def _replace(client, current: str):
    return post_form(client, "/auth/change-password", {"current_password": current, "new_password": REPLACEMENT,
                                                       "confirm_password": REPLACEMENT})


def _must_change(client) -> None:
    """Every page but the change-password page, signing out and static files sends the user to change it."""
    for url in ("/referrals/list", "/referrals/", "/intake/new", "/admin/users"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"] == "/auth/change-password", url
    assert client.get("/auth/change-password").status_code == 200
    assert client.get("/static/app.js").status_code == 200


def test_a_password_a_manager_sets_must_be_replaced_at_first_sign_in(app, client, login_as):
    login_as("manager")
    assert post_form(client, "/admin/users/new", NEW_USER).status_code == 303
    newcomer = app.test_client()
    assert sign_in(newcomer, "new.clinician", NEW_USER["password"]).status_code == 303
    _must_change(newcomer)
    page = newcomer.get("/auth/change-password").get_data(as_text=True)
    assert "Your password was set by a service manager" in page
    assert _replace(newcomer, NEW_USER["password"]).status_code == 303
    assert newcomer.get("/intake/new").status_code == 200, "free to work once it is replaced"
    assert len(events(app, "user.password_changed")) == 1


def test_a_user_who_must_change_their_password_can_still_sign_out(app, client, login_as):
    login_as("manager")
    post_form(client, "/admin/users/new", NEW_USER)
    newcomer = app.test_client()
    sign_in(newcomer, "new.clinician", NEW_USER["password"])
    assert post_form(newcomer, "/auth/logout", {}).status_code == 303
    assert newcomer.get("/referrals/list").headers["Location"].startswith("/auth/login")


@ON_BOTH_DATABASES
def test_a_manager_resets_a_password_which_ends_the_users_sessions_and_is_temporary(app, client, login_as):
    target = _make(app, "forgot.it")
    user_browser = app.test_client()
    assert sign_in(user_browser, "forgot.it").status_code == 303
    manager_id = login_as("manager")
    assert f"/admin/users/{target}/reset-password" in client.get("/admin/users").get_data(as_text=True)
    form = client.get(f"/admin/users/{target}/reset-password")
    assert form.status_code == 200
    assert {"password", "version"} <= field_names(form.get_data(as_text=True))
    response = post_form(client, f"/admin/users/{target}/reset-password",
                         {"password": "a temporary passphrase", "version": "1"})
    assert response.status_code == 303
    assert "forgot.it has a temporary password" in page_text(client.get("/admin/users"))
    assert user_browser.get("/referrals/list").status_code == 302, "signed out everywhere"
    reset = events(app, "user.password_reset")
    assert [(e.actor_id, e.entity_id) for e in reset] == [(manager_id, target)]
    assert "a temporary passphrase" not in reset[0].data
    assert sign_in(user_browser, "forgot.it").status_code == 200, "the old password is gone"
    assert sign_in(user_browser, "forgot.it", "a temporary passphrase").status_code == 303
    _must_change(user_browser)


@pytest.mark.parametrize(("password", "version", "status", "message"), [
    ("short", "1", 200, "at least 12 characters"),
    ("qwerty123456", "1", 200, "too common"),
    ("a temporary passphrase", "0", 409, None),
])
def test_a_refused_reset_changes_nothing(app, client, login_as, password, version, status, message):
    target = _make(app, "keeps.theirs")
    login_as("manager")
    response = post_form(client, f"/admin/users/{target}/reset-password", {"password": password, "version": version})
    assert response.status_code == status
    if message:
        assert message in page_text(response)
    assert not events(app, "user.password_reset")
    assert sign_in(app.test_client(), "keeps.theirs").status_code == 303
