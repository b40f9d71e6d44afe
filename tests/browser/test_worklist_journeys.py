"""The triage worklist in Chromium: overdue, due today and later under their own headings, paged with the keyboard,
on a phone (375 px) and a desktop (1280 px), with no axe violations and no CSP errors."""
import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from inclusive_access.extensions import db
from tests.browser import steps

pytestmark = pytest.mark.browser



@pytest.fixture
def a_backlog(live_server) -> int:
    """50 referrals received in January 2025, long overdue: with the seven seeded today, three pages of 25."""
    from tests.factories import make_referral

    with live_server.app.app_context():
        for n in range(50):
            received = (datetime(2025, 1, 6, 9, 0) + timedelta(minutes=n)).strftime("%Y-%m-%d %H:%M")
            make_referral(db.session, pathway="msk", given_name=f"Backlog{n:02d}", family_name="Old",
                          received_at=received)
        db.session.commit()
    return live_server.total + 50


def tab_to(page: Page, element_id: str, most: int = 300) -> None:
    """Press Tab until the element with this id has focus, as a keyboard user reaches it."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} not reached in {most} presses of Tab")


def first_patient_listed(page: Page) -> str:
    return page.locator("#worklist tbody tr").first.get_by_role("link").inner_text()


def test_booking_staff_page_through_the_triage_worklist_with_the_keyboard(page: Page, live_server, console_errors,
                                                                          a_backlog):
    page.set_viewport_size(steps.DESKTOP)
    steps.sign_in_as(page, live_server)
    page.goto(f"{live_server.url}/triage/")
    steps.page_is_ready(page)
    menu = page.get_by_role("navigation", name="Menu")
    expect(menu.get_by_role("link", name=f"Triage ({a_backlog})")).to_be_visible()
    expect(page.get_by_role("heading", name="Overdue (50)")).to_be_visible()
    expect(page.locator("#worklist-count")).to_have_text(f"{a_backlog} referrals awaiting triage.")
    expect(page.get_by_text(f"Showing 1 to 25 of {a_backlog} (page 1 of 3).")).to_be_visible()
    assert first_patient_listed(page) == "Triage Backlog00 OLD"
    steps.assert_no_accessibility_violations(page, "triage worklist, 1280 px")

    page.evaluate("window.notReloaded = true")  # htmx swaps the list in: the page itself stays
    tab_to(page, "worklist-next")
    page.keyboard.press("Enter")
    expect(page.get_by_text(f"Showing 26 to 50 of {a_backlog} (page 2 of 3).")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/triage/?page=2")
    assert first_patient_listed(page) == "Triage Backlog25 OLD"
    assert page.evaluate("document.activeElement.id") == "worklist-next", "focus stays on the link"
    steps.page_is_ready(page)
    page.keyboard.press("Enter")
    expect(page.get_by_text(f"Showing 51 to {a_backlog} of {a_backlog} (page 3 of 3).")).to_be_visible()
    # the seven seeded referrals arrived an hour ago: due today, or later when flagged after the cut-off or unflagged
    expect(page.get_by_role("heading", name=re.compile(r"^Due (today|later) \(\d+\)$")).first).to_be_visible()
    assert page.evaluate("window.notReloaded === true")
    steps.screenshot(page, "triage-worklist-page-3-desktop")
    steps.assert_no_csp_violations(console_errors)


def test_the_triage_worklist_fits_a_phone(page: Page, live_server, console_errors, a_backlog):
    page.set_viewport_size(steps.PHONE)
    steps.sign_in_as(page, live_server)
    page.goto(f"{live_server.url}/triage/?page=3")
    steps.page_is_ready(page)
    expect(page.get_by_text(f"Showing 51 to {a_backlog} of {a_backlog} (page 3 of 3).")).to_be_visible()
    width = steps.page_width(page)
    print(f"triage worklist at 375 px: {width} px wide")
    assert width <= steps.PHONE["width"]
    steps.assert_no_accessibility_violations(page, "triage worklist, 375 px")
    steps.screenshot(page, "triage-worklist-page-3-phone")
    steps.assert_no_csp_violations(console_errors)


def test_the_minute_refresh_leaves_an_unchanged_list_alone_and_swaps_in_a_changed_one(
        page: Page, live_server, console_errors, a_backlog):
    from tests.factories import make_referral

    page.set_viewport_size(steps.DESKTOP)
    steps.sign_in_as(page, live_server)
    page.goto(f"{live_server.url}/triage/")
    steps.page_is_ready(page)
    first_row = page.locator("#worklist tbody tr").first
    first_row.evaluate("row => row.dataset.shown = 'before'")

    def refresh() -> int:
        """The poller's request, as its every-60s trigger makes it (with its hx-include)."""
        with page.expect_response(re.compile(r"/triage/\?.*seen=")) as answer:
            page.evaluate("htmx.ajax('GET', '/triage/', {source: '#worklist', target: '#worklist'})")
        return answer.value.status

    assert refresh() == 204
    expect(first_row).to_have_attribute("data-shown", "before")
    with live_server.app.app_context():
        make_referral(db.session, pathway="msk", given_name="Newcomer", family_name="Old",
                      received_at="2025-01-05 09:00")
        db.session.commit()
    assert refresh() == 200
    assert first_patient_listed(page) == "Triage Newcomer OLD"
    expect(page.locator("#worklist tbody tr").first).not_to_have_attribute("data-shown", "before")
    steps.assert_no_csp_violations(console_errors)
