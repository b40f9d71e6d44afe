"""Browser journey for partnership review meetings: a manager records one with the partner present, adds an action
with its lead, and prints the minutes; axe and CSP on each page."""
import pytest
from playwright.sync_api import Page, expect

from inclusive_access.extensions import db
from tests.browser import steps
from tests.partnership_factories import HELD_ON, PERIOD_END, PERIOD_START

pytestmark = pytest.mark.browser


@pytest.fixture
def partner_name(live_server) -> str:
    """A housing partner whose hostel saw two people in June."""
    from tests.factories import staff
    from tests.outreach_factories import planned_session, received

    with live_server.app.app_context():
        clinician = staff(db.session, "clinician")
        planned = planned_session(db.session, staff(db.session, "manager"), [clinician])
        for _ in range(2):
            received(db.session, clinician, planned)
        db.session.commit()
        return planned.venue.partner.name


def test_a_manager_records_a_meeting_adds_an_action_and_prints_the_minutes(page: Page, live_server, partner_name,
                                                                            manager, console_errors):
    steps.sign_in_as(page, live_server, manager)
    page.goto(f"{live_server.url}/reports/governance")
    page.get_by_role("link", name="Partnership review meetings with outreach partners").click()
    page.get_by_role("link", name="Record a meeting").click()
    steps.page_is_ready(page)
    page.get_by_role("button", name="Record meeting").click()
    expect(page.get_by_role("link", name="Select the partners present")).to_be_visible()
    steps.forget_the_expected_400(console_errors, f"{live_server.url}/reports/partnership-reviews/new")
    steps.assert_no_accessibility_violations(page, "partnership-review-new-with-errors")

    page.get_by_label("Title", exact=True).fill("Quarterly outreach review")
    page.get_by_label("Date of the meeting").fill(HELD_ON)
    page.get_by_label(partner_name).check()
    page.get_by_label("First day of the period reviewed").fill(PERIOD_START)
    page.get_by_label("Last day of the period reviewed").fill(PERIOD_END)
    page.get_by_label("Minutes", exact=True).fill("Reviewed June's sessions.")
    page.get_by_label("Learning from incidents and complaints (optional)").fill("Queue indoors when it rains.")
    page.get_by_role("button", name="Record meeting").click()
    expect(page.get_by_role("heading", level=1, name="Partnership review: Quarterly outreach review")).to_be_visible()
    figures = page.get_by_role("table", name="Outreach figures reviewed, by partner")
    expect(figures.get_by_role("row", name="All partners present", exact=False)).to_contain_text("*")

    page.get_by_label("Action", exact=True).fill("Find an indoor waiting space")
    page.get_by_label("Named lead").fill("Priya Shah")
    page.get_by_label("Due by").fill("2099-01-31")
    page.get_by_role("button", name="Add action").click()
    actions = page.get_by_role("table", name="Actions agreed at the meeting")
    expect(actions).to_contain_text("Priya Shah")
    steps.screenshot(page, "partnership-review")
    steps.assert_no_accessibility_violations(page, "partnership-review")

    page.get_by_role("link", name="Printable minutes").click()
    expect(page.get_by_role("heading", level=1, name="Minutes: Quarterly outreach review")).to_be_visible()
    steps.assert_no_accessibility_violations(page, "partnership-review-print")
    page.emulate_media(media="print")
    expect(page.locator(".nhsuk-header")).to_be_hidden()
    expect(page.get_by_text("Use your browser's print command", exact=False)).to_be_hidden()
    expect(page.get_by_text("Find an indoor waiting space")).to_be_visible()
    steps.screenshot(page, "partnership-review-print")
    steps.assert_no_csp_violations(console_errors)
