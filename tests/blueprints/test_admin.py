"""User administration by the manager, its events, and sign-in failures with lockout."""
import html
import json

import pytest

from inclusive_access.extensions import db
from inclusive_access.models import User
from tests.blueprints.pages import count, events, field_names, sign_in
from tests.conftest import post_form
from tests.factories import make_user

NEW_USER = {"username": "new.clinician", "display_name": "Nia Clinician", "role": "clinician",
            "password": "a long temporary password"}


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


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
    listing = _text(client.get("/admin/users"))
    assert "Account new.clinician created with the clinician role." in listing
    assert "Nia Clinician" in listing
    created = events(app, "user.created")[-1]
    assert created.actor_id == manager_id
    assert json.loads(created.data) == {"username": "new.clinician",
                                                                           "role": "clinician"}
    newcomer = app.test_client()
    assert sign_in(newcomer, "new.clinician", NEW_USER["password"]).status_code == 303
    assert newcomer.get("/intake/new").status_code == 200, "with the clinician's access"
    assert newcomer.get("/admin/users").status_code == 403


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"password": "short"}, "password", "Use 12 to 256 characters"),
    ({"username": "test.manager"}, "username", "That username is already taken"),
    ({"username": "Bad User!"}, "username", "Use lower-case letters, numbers, dots, dashes or underscores"),
    ({"username": ""}, "username", "Enter a username"),
    ({"display_name": ""}, "display_name", "Enter the person's name"),
    ({"display_name": "Null\x00Byte"}, "display_name", "Remove the special characters from the name"),
    ({"role": "superuser"}, "role", "Not a valid choice"),
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
    assert "changing now has the senior role and must sign in again." in _text(client.get("/admin/users"))
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
    listing = _text(client.get("/admin/users"))
    assert "leaver is deactivated and signed out everywhere." in listing
    assert "Deactivated" in listing
    assert _user(app, "leaver").active is False
    deactivated = events(app, "user.deactivated")
    assert [(e.actor_id, e.entity_id) for e in deactivated] == [(manager_id, target)]
    leaver = app.test_client()
    response = sign_in(leaver, "leaver")
    assert response.status_code == 200
    assert "The username or password is not correct." in _text(response)


def test_a_manager_cannot_deactivate_themself(app, client, login_as):
    manager_id = login_as("manager")
    listing = client.get("/admin/users").get_data(as_text=True)
    assert f"/admin/users/{manager_id}/deactivate" not in listing, "no button for yourself"
    response = post_form(client, f"/admin/users/{manager_id}/deactivate", {"version": "1"})
    assert response.status_code == 303
    page = _text(client.get(response.headers["Location"]))
    assert "You cannot deactivate your own account" in page
    assert _user(app, "test.manager").active is True
    assert not events(app, "user.deactivated")
    assert client.get("/admin/users").status_code == 200, "still signed in"


def test_a_wrong_password_shows_a_message_and_five_failures_lock_the_account(app, client):
    _make(app, "forgetful")
    for attempt in range(1, 5):
        response = sign_in(client, "forgetful", "not the password")
        assert response.status_code == 200, attempt
        page = _text(response)
        assert "There is a problem" in page
        assert "The username or password is not correct." in page
    response = sign_in(client, "forgetful", "not the password")
    assert response.status_code == 200
    assert "This account is locked after too many failed sign-ins" in _text(response)
    response = sign_in(client, "forgetful")  # even the right password, while locked
    assert response.status_code == 200
    assert "This account is locked" in _text(response)
    assert client.get("/referrals/list").status_code == 302, "not signed in"
    assert len(events(app, "login.locked_out")) == 1
    assert len(events(app, "login.failed")) == 6
    assert not events(app, "login.succeeded")


def test_an_unknown_username_gets_the_same_message(app, client):
    response = sign_in(client, "nobody.here", "whatever it is")
    assert response.status_code == 200
    assert "The username or password is not correct." in _text(response)
    assert json.loads(events(app, "login.failed")[-1].data)["reason"] == "unknown user"


def test_a_username_with_a_nul_byte_is_a_form_error_not_a_crash(app, client):
    response = sign_in(client, "evil\x00user", "whatever it is")
    assert response.status_code == 200
    assert "There is a problem" in response.get_data(as_text=True)
    assert client.get("/referrals/list").status_code == 302
