"""Single sign-on through an OpenID Connect provider (the fake one in tests/fake_oidc.py): who gets in, as whom and
in which role, and every answer that is refused, each recorded as local sign-in's are."""
import json
import time

import pytest
import requests

from inclusive_access.domain import actions, oidc_accounts
from inclusive_access.extensions import db
from inclusive_access.models import User, UserSession
from tests.blueprints.pages import page_text
from tests.blueprints.records import count, events
from tests.conftest import ON_BOTH_DATABASES, PASSWORD, post_form
from tests.factories import make_user
from tests.fake_oidc import CLIENT_ID, local_path, new_key

REFERRALS = "/referrals/list"


def provider_answer(client, next_path: str | None = None) -> str:
    """The person presses the button, and the provider (approving at once) sends the browser back: that address."""
    started = client.get("/auth/oidc/sign-in", query_string={"next": next_path} if next_path else None)
    assert started.status_code == 303, started.data[:300]
    with requests.Session() as browser:
        approved = browser.get(started.headers["Location"], allow_redirects=False, timeout=10)
    assert approved.status_code == 302, approved.text
    return local_path(approved.headers["Location"])


def sign_in_through_provider(client, next_path: str | None = None):
    return client.get(provider_answer(client, next_path))


def signed_in_user(app, client) -> User | None:
    """The account this browser's session is signed in as, or None."""
    with client.session_transaction() as cookie:
        sid = cookie.get("sid")
    with app.app_context():
        from inclusive_access.domain import accounts

        row = db.session.get(UserSession, accounts._digest(sid)) if sid else None
        user = db.session.get(User, row.user_id) if row else None
        if user is not None:
            db.session.expunge(user)
        return user


def refusals(app) -> list[dict]:
    return [json.loads(e.data) for e in events(app, actions.LOGIN_FAILED)]


def test_a_first_sign_in_makes_the_account_with_the_mapped_role_and_signs_in(app, client, oidc_provider):
    response = sign_in_through_provider(client, next_path="/referrals/?state=open")
    assert response.status_code == 303
    assert response.headers["Location"] == "/referrals/?state=open"
    user = signed_in_user(app, client)
    assert (user.username, user.display_name, user.role) == ("priya.shah@nhs.net", "Priya Shah", "clinician")
    assert (user.identity_issuer, user.identity_subject) == (oidc_provider.issuer, "a1b2c3d4-0001")
    assert user.password_hash == oidc_accounts.NO_PASSWORD
    assert client.get(REFERRALS).status_code == 200
    asked = oidc_provider.authorizations[-1]
    assert asked["code_challenge_method"] == "S256"
    assert asked["nonce"]
    assert asked["state"]
    assert "openid" in asked["scope"].split()
    created = [json.loads(e.data) for e in events(app, actions.USER_CREATED)]
    assert created == [{"username": "priya.shah@nhs.net", "role": "clinician", "via": "NHS CIS2"}]
    assert [json.loads(e.data)["via"] for e in events(app, actions.LOGIN_SUCCEEDED)] == ["NHS CIS2"]


def test_a_second_sign_in_finds_the_same_account_by_issuer_and_subject(app, client, oidc_provider):
    sign_in_through_provider(client)
    first = signed_in_user(app, client)
    oidc_provider.person["email"] = "priya.shah2@nhs.net"  # a changed address is not a new person
    client.post("/auth/logout", data={"csrf_token": client.csrf_token()})
    assert sign_in_through_provider(client).status_code == 303
    assert signed_in_user(app, client).id == first.id
    assert count(app, User) == 1
    assert len(events(app, actions.USER_CREATED)) == 1
    assert len(events(app, actions.LOGIN_SUCCEEDED)) == 2


@ON_BOTH_DATABASES
def test_a_role_changed_at_the_provider_changes_the_role_here_at_the_next_sign_in(app, client, oidc_provider):
    sign_in_through_provider(client)
    other_browser = app.test_client()
    oidc_provider.person["nhsid_nrbac_roles"] = [{"person_roleid": "556", "role_code": "S8000:G8001:R8013"}]
    assert sign_in_through_provider(other_browser).status_code == 303
    assert signed_in_user(app, other_browser).role == "manager"
    changed = [json.loads(e.data) for e in events(app, actions.USER_ROLE_CHANGED)]
    assert changed == [{"from": "clinician", "to": "manager", "via": "NHS CIS2"}]
    assert client.get(REFERRALS).status_code == 302, "the session in the old role has ended"
    assert other_browser.get(REFERRALS).status_code == 200


def test_someone_whose_roles_map_to_none_of_ours_is_refused_and_told_why(app, client, oidc_provider):
    oidc_provider.person["nhsid_nrbac_roles"] = [{"person_roleid": "557", "role_code": "S8000:G8000:R8099"}]
    response = sign_in_through_provider(client)
    assert response.status_code == 403
    assert "roles do not give access to Inclusive Access" in page_text(response)
    assert signed_in_user(app, client) is None
    assert count(app, User) == 0
    assert refusals(app) == [{"reason": "no mapped role", "source": "127.0.0.1", "via": "NHS CIS2",
                              "roles": ["S8000:G8000:R8099", "S8000", "G8000", "R8099"],
                              "username": "priya.shah@nhs.net"}]


@ON_BOTH_DATABASES
def test_the_roles_may_come_from_userinfo_as_cis2_gives_them(app, client, oidc_provider):
    oidc_provider.userinfo_only = {"nhsid_nrbac_roles"}
    oidc_provider.person["nhsid_nrbac_roles"] = [{"person_roleid": "1", "role_code": "S8000:G8000:R8010"},
                                                 {"person_roleid": "2", "role_code": "S8000:G8000:R8013"}]
    oidc_provider.person["selected_roleid"] = "1"  # signed in as the clerk, not as the manager they also are
    assert sign_in_through_provider(client).status_code == 303
    assert signed_in_user(app, client).role == "booking"


@ON_BOTH_DATABASES
def test_a_deactivated_account_stays_out_whatever_the_provider_says(app, client, oidc_provider):
    sign_in_through_provider(client)
    with app.app_context():
        db.session.execute(db.update(User).values(active=False))
        db.session.commit()
    fresh = app.test_client()
    response = sign_in_through_provider(fresh)
    assert response.status_code == 403
    assert "Your account is deactivated" in page_text(response)
    assert signed_in_user(app, fresh) is None
    assert [r["reason"] for r in refusals(app)] == ["inactive"]


@pytest.mark.parametrize(("spoil", "reason"), [
    ({"signing_key": "forged"}, "bad_signature"),
    ({"aud": "another-service"}, "aud"),
    ({"iss": "https://impostor.example"}, "iss"),
    ({"exp": int(time.time()) - 600, "iat": int(time.time()) - 900}, "expired"),
    ({"iat": int(time.time()) - 3600}, "iat"),
    ({"nonce": "a-nonce-from-another-sign-in"}, "nonce"),
], ids=["forged-signature", "wrong-audience", "wrong-issuer", "expired", "issued-long-ago", "wrong-nonce"])
def test_an_id_token_that_fails_a_check_signs_no_one_in(app, client, oidc_provider, spoil, reason):
    if spoil.get("signing_key") == "forged":  # the provider's key id, someone else's key
        spoil = {"signing_key": new_key(oidc_provider.key.kid)}
    oidc_provider.spoil = spoil
    response = sign_in_through_provider(client)
    assert response.status_code == 400
    assert "Signing in through NHS CIS2 did not work" in page_text(response)
    assert signed_in_user(app, client) is None
    assert count(app, User) == 0
    [refused] = refusals(app)
    assert refused["reason"].startswith("ID token refused"), refused
    assert reason in refused["reason"], refused
    assert (refused["via"], refused["source"]) == ("NHS CIS2", "127.0.0.1")


def test_a_replayed_callback_is_refused_after_the_first_signed_in(app, client, oidc_provider):
    callback = provider_answer(client)
    assert client.get(callback).status_code == 303
    client.post("/auth/logout", data={"csrf_token": client.csrf_token()})
    assert client.get(callback).status_code == 400
    assert signed_in_user(app, client) is None
    assert [r["reason"] for r in refusals(app)] == ["state does not match this browser's sign-in"]


def test_a_callback_with_another_state_or_from_another_browser_is_refused(app, client, oidc_provider):
    callback = provider_answer(client)
    forged = callback.replace("state=", "state=x")
    assert client.get(forged).status_code == 400
    assert app.test_client().get(callback).status_code == 400, "the sign-in waits in its own browser's session"
    assert client.get(callback).status_code == 400, "a refused callback ends the pending sign-in"
    assert len(refusals(app)) == 3
    assert count(app, User) == 0


def test_a_code_the_provider_refuses_signs_no_one_in(app, client, oidc_provider):
    callback = provider_answer(client)
    oidc_provider.codes.clear()  # spent, or never issued
    assert client.get(callback).status_code == 400
    assert [r["reason"] for r in refusals(app)] == ["token request refused: invalid_grant"]


def test_a_denial_at_the_provider_is_recorded(app, client, oidc_provider):
    client.get("/auth/oidc/sign-in")
    response = client.get("/auth/oidc/callback?error=access_denied&state=whatever")
    assert response.status_code == 400
    assert [r["reason"] for r in refusals(app)] == ["provider answered access_denied"]


def test_signing_out_ends_the_providers_session_too(app, client, oidc_provider):
    sign_in_through_provider(client)
    response = client.post("/auth/logout", data={"csrf_token": client.csrf_token()})
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"{oidc_provider.issuer}/end-session?")
    with requests.Session() as browser:
        back = browser.get(response.headers["Location"], allow_redirects=False, timeout=10)
    [ended] = oidc_provider.ended
    assert ended["post_logout_redirect_uri"] == "http://localhost/auth/login"
    assert ended["client_id"] == CLIENT_ID
    assert ended["id_token_hint"].count(".") == 2
    assert local_path(back.headers["Location"]) == "/auth/login"
    assert "You have signed out" in page_text(client.get("/auth/login"))
    assert count(app, UserSession) == 0


def test_a_password_sign_in_ends_locally(app, client, oidc_provider, login_as):
    login_as("booking")
    response = client.post("/auth/logout", data={"csrf_token": client.csrf_token()})
    assert response.headers["Location"] == "/auth/login"
    assert oidc_provider.ended == []


def test_the_button_is_offered_beside_the_form_and_forms_may_post_to_the_provider(client, oidc_provider):
    page = client.get("/auth/login?next=/referrals/")
    body = page.get_data(as_text=True)
    assert "Sign in with your NHS identity" in body
    assert 'href="/auth/oidc/sign-in?next=/referrals/"' in body
    assert 'name="password"' in body
    assert f"form-action 'self' {oidc_provider.issuer};" in page.headers["Content-Security-Policy"]


def test_without_a_provider_there_is_no_button_and_no_single_sign_on(client):
    body = client.get("/auth/login").get_data(as_text=True)
    assert "NHS identity" not in body
    assert client.get("/auth/oidc/sign-in").status_code == 404
    assert client.get("/auth/oidc/callback?code=x&state=y").status_code == 404


def test_with_local_passwords_switched_off_only_the_provider_signs_in(app, client, oidc_provider):
    app.config["LOCAL_PASSWORDS_ENABLED"] = False
    with app.app_context():
        make_user(db.session, role="manager", username="local.manager")
        db.session.commit()
    body = client.get("/auth/login").get_data(as_text=True)
    assert 'name="password"' not in body
    assert "Sign in with your NHS identity" in body
    refused = post_form(client, "/auth/login", {"username": "local.manager", "password": PASSWORD})
    assert refused.status_code == 403
    assert "Signing in with a password is switched off" in page_text(refused)
    assert signed_in_user(app, client) is None
    assert events(app, actions.LOGIN_SUCCEEDED) == []
    assert sign_in_through_provider(client).status_code == 303
    assert client.get("/auth/change-password").status_code == 404
    assert "Change password" not in page_text(client.get(REFERRALS))


def test_the_assurance_and_the_registered_address_configured_are_what_the_provider_is_asked_for(
        app, client, oidc_provider):
    app.config.update(OIDC_ACR_VALUES="AAL3_ANY", OIDC_REDIRECT_URI="https://ia.example.nhs.uk/auth/oidc/callback")
    assert sign_in_through_provider(client).status_code == 303
    asked = oidc_provider.authorizations[-1]
    assert asked["acr_values"] == "AAL3_ANY"
    assert asked["redirect_uri"] == "https://ia.example.nhs.uk/auth/oidc/callback"


@ON_BOTH_DATABASES
def test_refused_answers_from_one_address_are_throttled_as_failed_passwords_are(app, client, oidc_provider):
    app.config["LOGIN_SOURCE_LIMIT"] = 3
    for _ in range(3):
        assert client.get("/auth/oidc/callback?code=stolen&state=guessed").status_code == 400
    for _ in range(2):
        throttled = client.get("/auth/oidc/callback?code=stolen&state=guessed")
        assert throttled.status_code == 429
        assert 0 < int(throttled.headers["Retry-After"]) <= 300
    assert len(refusals(app)) == 3, "no event past the limit"
    assert [json.loads(e.data)["scope"] for e in events(app, actions.LOGIN_THROTTLED)] == ["source"]
    refused = post_form(client, "/auth/login", {"username": "anyone", "password": PASSWORD})
    assert refused.status_code == 429, "the address's allowance is the one password sign-in counts against"
