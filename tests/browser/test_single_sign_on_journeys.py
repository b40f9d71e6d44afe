"""Single sign-on in Chromium: the button to the provider (the fake one in tests/fake_oidc.py) and back, signed in,
and signing out through the provider, which the CSP's form-action must let the sign-out form's redirect reach."""
import json

import pytest
from playwright.sync_api import Page, expect

from tests.browser import steps
from tests.conftest import OIDC_ROLE_MAP
from tests.fake_oidc import CLIENT_ID, CLIENT_SECRET

pytestmark = pytest.mark.browser


@pytest.fixture
def provider(live_server, oidc_server):
    oidc_server.reset()
    live_server.app.config.update(OIDC_ISSUER=oidc_server.issuer, OIDC_CLIENT_ID=CLIENT_ID,
                                  OIDC_CLIENT_SECRET=CLIENT_SECRET, OIDC_ROLE_MAP=json.dumps(OIDC_ROLE_MAP),
                                  LOCAL_PASSWORDS_ENABLED=False)
    return oidc_server


def test_a_nurse_signs_in_with_their_nhs_identity_and_out_of_it(page: Page, live_server, provider, console_errors):
    page.goto(f"{live_server.url}/auth/login")
    expect(page.get_by_label("Password", exact=True)).to_have_count(0)
    steps.assert_the_loaded_page_is_clean(page, "sign-in-with-provider", console_errors)
    page.get_by_role("button", name="Sign in with your NHS identity").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_text("Priya Shah (Clinician)")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out")).to_be_visible()
    assert page.url == f"{live_server.url}/auth/login"
    [ended] = provider.ended
    assert ended["post_logout_redirect_uri"] == f"{live_server.url}/auth/login"
    steps.assert_the_loaded_page_is_clean(page, "signed-out-of-provider", console_errors, shot=False)
