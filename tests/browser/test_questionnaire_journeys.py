"""A clinician records a PHQ-9 with the patient in Chromium, by keyboard alone: from the "Questionnaires due"
worklist to the form, a missed question shown beside it, and the answers on the referral page; axe finds no
violations on the form or its error state."""
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from inclusive_access.domain import instrument_files
from inclusive_access.extensions import db
from tests.browser import steps
from tests.browser.test_triage_journeys import choose_with_the_keyboard, press_the_button, radio_group

pytestmark = pytest.mark.browser

PHQ9 = instrument_files.load(instrument_files.SHIPPED_DIR)["phq9"]
PATIENT = "Megan MORGAN"


@pytest.fixture
def first_seen_two_days_ago(live_server) -> int:
    """A mental health referral received five days ago whose first appointment, two days ago, was attended: its
    PHQ-9 and GAD-7 are due at first contact."""
    from inclusive_access.domain.actors import actor_for
    from inclusive_access.domain.validation import LONDON
    from inclusive_access.models import User
    from tests.factories import accept_and_attend, make_referral

    with live_server.app.app_context():
        clinician = actor_for(db.session.query(User).filter_by(username=live_server.clinician).one())
        referral = make_referral(
            db.session, pathway="mental_health", given_name="Megan", family_name="Morgan", reason="Low mood",
            received_at=(datetime.now(UTC) - timedelta(days=5)).astimezone(LONDON).strftime("%Y-%m-%d %H:%M"))
        accept_and_attend(db.session, clinician, referral, 3)
        db.session.commit()
        return referral.id


def follow_with_the_keyboard(page: Page, link) -> None:
    steps.page_is_ready(page)
    link.focus()
    page.keyboard.press("Enter")


def test_a_clinician_records_a_phq9_by_keyboard_from_the_worklist(page: Page, live_server, console_errors,
                                                                  first_seen_two_days_ago):
    page.set_viewport_size(steps.DESKTOP)
    steps.sign_in_as(page, live_server, live_server.clinician)
    steps.go_to(page, "Questionnaires due")
    expect(page.get_by_role("heading", level=1, name="Questionnaires due")).to_be_visible()
    row = page.locator("tbody tr").filter(has_text=PATIENT).filter(has_text=PHQ9.title)
    follow_with_the_keyboard(page, row.get_by_role("link", name="Record answers"))

    expect(page.get_by_role("heading", level=1, name=PHQ9.title)).to_be_visible()
    expect(radio_group(page, "When in the referral").get_by_label("At first contact")).to_be_checked()
    steps.assert_the_loaded_page_is_clean(page, "phq9-entry-desktop", console_errors)

    *answered, last = PHQ9.items
    choose_with_the_keyboard(page, "How were the answers given", "By telephone with an interpreter")
    for item in answered:
        choose_with_the_keyboard(page, item.text, "Several days")
    press_the_button(page, "Save answers")

    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_focused()
    expect(page.locator(f"#item_{last.id}-error")).to_contain_text("Choose an answer")
    expect(radio_group(page, answered[0].text).get_by_label("Several days")).to_be_checked()  # the answers are kept
    steps.assert_the_loaded_page_is_clean(page, "phq9-entry-with-errors", console_errors)

    follow_with_the_keyboard(page, summary.get_by_role("link", name="Choose an answer"))
    choose_with_the_keyboard(page, last.text, "Not at all")
    press_the_button(page, "Save answers")

    expect(page.get_by_text(f"{PHQ9.title}: answers recorded.")).to_be_visible()
    answers = page.get_by_role("table", name="Questionnaires answered, most recent first").get_by_role("row").filter(
        has_text=PHQ9.title)
    for shown in ("At first contact", "By telephone with an interpreter"):
        expect(answers).to_contain_text(shown)
    expect(answers.locator("td").last.locator(".app-table-value")).to_have_text("8")  # eight "Several days"
    steps.assert_no_csp_violations(console_errors)
