"""The root URL: each signed-in user lands on their own work, anyone else on sign-in; a missing page leads home."""
import pytest

from inclusive_access import security
from inclusive_access.domain import access

#: role -> the page `/` opens for them: their worklist or queue
HOMES = {"booking": "/triage/", "clinician": "/triage/", "senior": "/discharge/reviews",
         "auditor": "/audit/samples", "manager": "/reports/equity"}


@pytest.mark.parametrize("role", HOMES)
def test_the_root_url_opens_the_signed_in_users_own_work(client, login_as, role):
    login_as(role)
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == HOMES[role]
    assert client.get(HOMES[role]).status_code == 200


def test_signing_in_lands_on_the_users_own_work(client, login_as):
    login_as("senior")
    assert client.get("/referrals/").headers["Location"] == HOMES["senior"]


def test_the_root_url_sends_anyone_not_signed_in_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize("signed_in", [False, True])
def test_a_missing_page_links_home(client, login_as, signed_in):
    if signed_in:
        login_as("auditor")
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert '<a href="/">' in response.get_data(as_text=True)


def test_the_root_url_is_open_to_every_role():
    assert security.ACCESS["home.index"] == access.EVERYONE
