"""Browser journey for outreach planning: the manager adds a partner, a venue and plans a session naming a
clinician, who then finds it from the navigation; axe on each page and no CSP violations."""
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from inclusive_access.domain.validation import LONDON
from tests.browser import steps

pytestmark = pytest.mark.browser

def test_the_manager_plans_a_session_that_its_named_clinician_then_finds(page: Page, live_server, manager,
                                                                         console_errors):
    steps.sign_in_as(page, live_server, manager)
    steps.go_to(page, "Outreach")
    expect(page.get_by_role("heading", level=1, name="Outreach sessions")).to_be_visible()

    page.get_by_role("link", name="Partners", exact=True).click()
    page.get_by_role("link", name="Add a partner").click()
    page.get_by_role("button", name="Save partner").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Enter the partner's name")
    steps.forget_the_expected_400(console_errors, f"{live_server.url}/outreach/partners/new")
    summary.get_by_role("link", name="Enter the partner's name").click()
    expect(page.get_by_label("Name of the organisation", exact=True)).to_be_focused()
    steps.assert_no_accessibility_violations(page, "partner form with errors")
    page.keyboard.type("Harbour Housing Trust")
    page.get_by_label("Kind of partner", exact=True).select_option(label="Housing")
    page.get_by_label("Contact's name (optional)", exact=True).fill("Sam Example")
    page.get_by_label("Information-sharing agreement that applies", exact=True).fill("Outreach ISA v2 (synthetic)")
    page.get_by_role("button", name="Save partner").click()
    expect(page.get_by_text("Harbour Housing Trust added as a partner.")).to_be_visible()
    steps.assert_no_accessibility_violations(page, "partners")

    page.get_by_role("link", name="Venues", exact=True).click()
    page.get_by_role("link", name="Add a venue").click()
    page.get_by_label("Name of the venue", exact=True).fill("Quayside Hostel")
    page.get_by_label("Kind of venue", exact=True).select_option(label="Hostel")
    page.get_by_label("Postcode (optional)", exact=True).fill("LS1 4AP")
    page.get_by_label("Partner that runs it (optional)", exact=True).select_option(label="Harbour Housing Trust")
    page.get_by_role("button", name="Save venue").click()
    expect(page.get_by_text("Quayside Hostel added as a venue.")).to_be_visible()

    page.get_by_role("link", name="Sessions", exact=True).click()
    page.get_by_role("link", name="Plan a session").click()
    starts = (datetime.now(LONDON) + timedelta(days=3)).replace(hour=13, minute=0, second=0, microsecond=0)
    page.get_by_label("Venue", exact=True).select_option(label="Quayside Hostel")
    page.get_by_label("Starts", exact=True).fill(starts.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Ends", exact=True).fill(starts.replace(hour=16).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Test clinician (Clinician)", exact=True).check()
    page.get_by_label("Partner staff expected (optional)", exact=True).fill("Two hostel key workers")
    steps.assert_no_accessibility_violations(page, "plan a session")
    page.get_by_role("button", name="Plan session").click()
    expect(page.get_by_text("Session planned at Quayside Hostel.")).to_be_visible()
    upcoming = page.get_by_role("table", name="Upcoming outreach sessions")
    expect(upcoming.get_by_role("row").filter(has_text="Quayside Hostel")).to_contain_text("Test clinician")
    steps.assert_no_accessibility_violations(page, "outreach sessions")
    steps.screenshot(page, "outreach-sessions")

    page.context.clear_cookies()
    steps.sign_in_as(page, live_server, live_server.clinician)
    steps.go_to(page, "My outreach sessions")
    steps.page_is_ready(page)
    mine = page.get_by_role("table", name="Today's and upcoming outreach sessions")
    expect(mine.get_by_role("row").filter(has_text="Quayside Hostel")).to_contain_text(
        starts.strftime("%a %-d %b %Y, 13:00"))
    expect(mine).to_contain_text("Two hostel key workers")
    steps.assert_no_accessibility_violations(page, "my outreach sessions")
    steps.assert_no_csp_violations(console_errors)
