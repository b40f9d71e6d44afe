"""Browser journeys through a record's timeline: sentences in staff words, one kind of event at a time by keyboard,
with and without JavaScript, on a phone and a desktop; axe and CSP on each."""
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from tests.browser import steps

pytestmark = pytest.mark.browser



@pytest.fixture
def missed_and_recorded(live_server, missed_appointment):
    """The missed clinic appointment recorded as missed by the clinician, so a barrier check is open."""
    from inclusive_access.domain import appointments
    from inclusive_access.domain.actors import actor_for
    from inclusive_access.models import Appointment, User

    with live_server.app.app_context():
        clinician = actor_for(db.session.query(User).filter_by(username=live_server.clinician).one())
        appointment = db.session.get(Appointment, missed_appointment.appointment_id)
        appointments.record_outcome(db.session, clinician, appointment, appointment.version, "dna",
                                    deliveries={missed_appointment.adjustment_id: (True, None)},
                                    now=datetime.now(UTC))
        db.session.commit()
    return missed_appointment


# --- helpers, in the words a user would use ------------------------------------------------------

def open_the_timeline_of(page: Page, server, path: str) -> None:
    page.goto(f"{server.url}{path}")
    steps.page_is_ready(page)
    expect(page.get_by_role("heading", level=2, name="Timeline")).to_be_visible()


def choose_the_kind_with_the_keyboard(page: Page, kind: str) -> None:
    """Tab to the kind's link in the timeline's filters and press Enter, as a keyboard user would."""
    link = page.get_by_role("navigation", name="Show events of one kind").get_by_role("link", name=kind)
    link.focus()
    page.keyboard.press("Enter")


def timeline_rows(page: Page):
    return page.locator("#timeline tbody tr")


def assert_the_timeline_fits(page: Page, width: int) -> None:
    page.wait_for_load_state("load")
    widths = page.evaluate("() => [document.documentElement.scrollWidth,"
                           " document.querySelector('#timeline').scrollWidth]")
    assert max(widths) <= width, f"page and timeline {widths} px wide on a {width} px screen"


# --- journeys -----------------------------------------------------------------------------------

def test_a_clinician_reads_the_timeline_and_shows_only_appointments_by_keyboard(page: Page, live_server,
                                                                                 missed_and_recorded,
                                                                                 console_errors):
    steps.sign_in_as(page, live_server, live_server.clinician)
    open_the_timeline_of(page, live_server, f"/referrals/{missed_and_recorded.referral_id}")
    missed = missed_and_recorded.missed_at.astimezone(LONDON).strftime("%-d %b, %H:%M")
    expect(page.locator("#timeline")).to_contain_text(f"Recorded a missed appointment ({missed}, Clinic)")
    expect(page.locator("#timeline")).to_contain_text("Opened a barrier check after a missed appointment")
    every = timeline_rows(page).count()

    choose_the_kind_with_the_keyboard(page, "Appointments (2)")
    expect(page).to_have_url(f"{live_server.url}/referrals/{missed_and_recorded.referral_id}?kind=appointments"
                             "#timeline")
    expect(page.get_by_role("status")).to_have_text(f"Showing 2 of {every} events: appointments.")
    expect(timeline_rows(page)).to_have_count(2)
    expect(page.get_by_role("link", name="Appointments (2)")).to_have_attribute("aria-current", "true")
    expect(page.get_by_role("link", name="Appointments (2)")).to_be_focused()  # the swap kept the user's place
    steps.screenshot(page, "timeline-appointments")

    page.go_back()
    expect(timeline_rows(page)).to_have_count(every)
    steps.assert_no_csp_violations(console_errors)


@pytest.mark.parametrize("size", [steps.PHONE, steps.DESKTOP], ids=["375px", "1280px"])
@pytest.mark.parametrize("path", ["/referrals/{referral}?kind=barrier_checks", "/patients/{patient}"])
def test_the_timelines_fit_the_screen_with_no_axe_violations(page: Page, live_server, missed_and_recorded,
                                                             console_errors, size, path):
    page.set_viewport_size(size)
    steps.sign_in_as(page, live_server, live_server.clinician)
    open_the_timeline_of(page, live_server, path.format(referral=missed_and_recorded.referral_id,
                                                        patient=missed_and_recorded.patient_id))
    expect(timeline_rows(page).first).to_be_visible()
    if size == steps.PHONE:
        assert_the_timeline_fits(page, steps.PHONE["width"])
    steps.assert_no_accessibility_violations(page, f"timeline {path} at {size['width']} px")
    steps.assert_no_csp_violations(console_errors)


def test_the_kind_links_work_without_javascript(browser, live_server, missed_and_recorded):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    steps.sign_in_as(page, live_server, live_server.clinician)
    page.goto(f"{live_server.url}/patients/{missed_and_recorded.patient_id}")
    page.get_by_role("link", name="Adjustments (2)").click()
    expect(page).to_have_url(f"{live_server.url}/patients/{missed_and_recorded.patient_id}?kind=adjustments"
                             "#timeline")
    expect(timeline_rows(page)).to_have_count(2)
    expect(timeline_rows(page).first).to_contain_text("Recorded a reasonable adjustment: Information format")
    expect(timeline_rows(page).last).to_contain_text("Recorded the patient's adjustments at the appointment: "
                                                     "1 of 1 met")
    context.close()
