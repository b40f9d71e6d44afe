"""Browser journey for the equity dashboard: the breakdown and view change by htmx, axe and CSP."""
import pytest
from playwright.sync_api import Page, expect

from inclusive_access.extensions import db
from tests.browser.test_journeys import assert_no_accessibility_violations, assert_no_csp_violations, screenshot
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

MANAGER = "browser.manager"


@pytest.fixture
def manager(live_server) -> str:
    from tests.factories import make_user

    with live_server.app.app_context():
        make_user(db.session, role="manager", username=MANAGER)
        db.session.commit()
    return MANAGER


def sign_in_as_the_manager(page: Page, server) -> None:
    page.goto(f"{server.url}/auth/login")
    page.get_by_label("Username", exact=True).fill(MANAGER)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_manager_changes_the_breakdown_and_the_view_without_a_page_load(page: Page, live_server, manager,
                                                                           console_errors):
    sign_in_as_the_manager(page, live_server)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Equity", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Equity of access")).to_be_visible()
    table = page.get_by_role("table", name="Measures by imd quintile: rate (95% interval), numerator / denominator")
    expect(table.get_by_role("columnheader")).to_have_text(
        ["Measure", "1 (most deprived)", "2", "3", "4", "5 (least deprived)", "Not known"])
    page.evaluate("window.__marker = 1")
    page.get_by_label("Break down by", exact=True).select_option(label="Ethnic group")
    expect(page.get_by_role("heading", level=2, name="Ethnic group", exact=False)).to_be_visible()
    expect(page.get_by_role("table", name="Measures by ethnic group", exact=False).get_by_role("columnheader")
           .filter(has_text="Not stated")).to_have_count(1)
    page.get_by_label("View", exact=True).select_option(label="For sharing (counts of 1 to 7 shown as *)")
    expect(page.get_by_text("For sharing:", exact=False)).to_be_visible()
    assert page.evaluate("window.__marker") == 1, "the selectors swapped the tables, not the page"
    assert "segment=ethnic_group" in page.url, "the view is bookmarkable"
    screenshot(page, "equity-dashboard")
    assert_no_accessibility_violations(page, "equity-dashboard")
    assert_no_csp_violations(console_errors)
