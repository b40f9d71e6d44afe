"""Browser journeys after a missed appointment: the barrier check, rebooking, adjustments in view, axe and CSP."""
from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from inclusive_access.domain.validation import LONDON
from tests.browser import steps
from tests.browser.test_triage_journeys import choose_with_the_keyboard, press_the_button, type_into

pytestmark = pytest.mark.browser

MSK = "Musculoskeletal (MSK)"
LARGE_PRINT = "Information format: Large print letters"
EVENING_ADJUSTMENT = "Evening appointments after 6pm"
COMMUNITY_VENUE = "Hillside Community Centre, Chapeltown"


# --- helpers, in the words a user would use ------------------------------------------------------

def sign_in_as_the_clinician(page: Page, server) -> None:
    steps.sign_in_as(page, server, server.clinician)


def open_the_appointments_for(page: Page, patient: str) -> None:
    """From the referral list, open the patient's referral and follow its Appointments link."""
    steps.go_to(page, "Referrals")
    page.locator("#referral-results").get_by_role("link", name=patient, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=f"Referral: {MSK}")).to_be_visible()
    page.get_by_role("link", name="Appointments", exact=True).click()
    expect(page.get_by_role("heading", level=1, name=f"Appointments: {MSK}")).to_be_visible()


def open_the_referral_of(page: Page, patient: str) -> None:
    steps.go_to(page, "Referrals")
    page.locator("#referral-results").get_by_role("link", name=patient, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=f"Referral: {MSK}")).to_be_visible()


def appointment_on(page: Page, when: datetime) -> Locator:
    """The row of the appointment list for the appointment at `when` (UK time)."""
    return page.locator("main table tbody tr", has=page.get_by_role(
        "cell", name=when.astimezone(LONDON).strftime("%a %d %b %Y %H:%M"), exact=True))


def record_what_happened(page: Page, when: datetime, outcome: str, adjustments_met: dict[str, str]) -> None:
    """Answer the outcome form in the appointment's row, and say for each adjustment whether it was met."""
    choose_with_the_keyboard(page, f"Outcome of the appointment on {when.astimezone(LONDON):%d %b %Y %H:%M}",
                             outcome)
    for adjustment, answer in adjustments_met.items():
        choose_with_the_keyboard(page, f"Was this adjustment met? {adjustment}", answer)
    appointment_on(page, when).get_by_role("button", name="Record outcome", exact=True).click()


def the_patient_did_not_attend(page: Page, server, missed) -> None:
    """Sign in as the clinician and record the missed appointment: the barrier check opens."""
    sign_in_as_the_clinician(page, server)
    open_the_appointments_for(page, missed.patient)
    record_what_happened(page, missed.missed_at, "Did not attend", {LARGE_PRINT: "Met"})
    expect(page.get_by_role("heading", level=1, name="Barrier check after a missed appointment")).to_be_visible()


def still_to_do(page: Page) -> Locator:
    return page.locator("#what-is-left li")


def tick(page: Page, label: str) -> None:
    steps.page_is_ready(page)
    box = page.get_by_role("checkbox", name=label, exact=True)
    box.focus()
    page.keyboard.press("Space")
    expect(box).to_be_checked()


def save_the_barriers(page: Page, *barriers: str) -> None:
    for barrier in barriers:
        tick(page, barrier)
    press_the_button(page, "Save barriers")


def log_a_contact_attempt(page: Page, method: str, reached: str, note: str = "") -> None:
    choose_with_the_keyboard(page, "How did you try to reach the patient?", method)
    choose_with_the_keyboard(page, "Did you reach them?", reached)
    if note:
        type_into(page, "Note (optional)", note)
    press_the_button(page, "Log attempt")


def complete_the_barrier_check(page: Page, *, outcome: str, alternative: str = "", adjustment_kind: str = "",
                               adjustment: str = "") -> None:
    choose_with_the_keyboard(page, "Outcome", outcome)
    if alternative:
        page.get_by_label("Alternative format offered", exact=True).select_option(label=alternative)
    if adjustment_kind:
        page.get_by_label("Record an adjustment (optional): kind", exact=True).select_option(label=adjustment_kind)
    if adjustment:
        type_into(page, "Adjustment: what should staff do?", adjustment)
    press_the_button(page, "Complete barrier check")


def book_an_appointment(page: Page, *, when: datetime, appointment_format: str, place: str = "") -> None:
    """Fill in the booking form: the date box takes UK time as 'YYYY-MM-DDTHH:MM'."""
    page.get_by_label("Date and time", exact=True).fill(when.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M"))
    choose_with_the_keyboard(page, "Format", appointment_format)
    if place:
        type_into(page, "Place (for clinic and community venue)", place)
    press_the_button(page, "Book appointment")


def adjustments_in_the_banner(page: Page) -> Locator:
    return page.get_by_role("region", name="Patient details").get_by_role(
        "list", name="Reasonable adjustments and communication needs").get_by_role("listitem")


def adjustments_on(row: Locator) -> Locator:
    return row.get_by_role("list", name="Reasonable adjustments and communication needs").get_by_role("listitem")


def rebooking_deadline(page: Page) -> Locator:
    return page.locator(".nhsuk-summary-list__row", has_text="Rebook by").locator(".nhsuk-summary-list__value")


def evening_slot_after(missed: datetime, days: int) -> datetime:
    """18:30 UK time, `days` after the missed appointment."""
    day = missed.astimezone(LONDON).date() + timedelta(days=days)
    return datetime.combine(day, time(18, 30), LONDON)


# --- the journey --------------------------------------------------------------------------------

def test_a_clinician_finds_a_childcare_barrier_and_rebooks_an_evening_community_slot_within_14_days(
        page: Page, live_server, missed_appointment, console_errors):
    missed = missed_appointment
    sign_in_as_the_clinician(page, live_server)
    open_the_appointments_for(page, missed.patient)
    row = appointment_on(page, missed.missed_at)
    expect(row.locator("td").nth(2)).to_have_text("Booked", use_inner_text=True)
    expect(row.get_by_role("group", name=f"Was this adjustment met? {LARGE_PRINT}")).to_be_visible()
    record_what_happened(page, missed.missed_at, "Did not attend", {LARGE_PRINT: "Met"})

    # straight to the barrier check, with the rebooking deadline 14 days from the missed appointment
    expect(page.get_by_role("heading", level=1, name="Barrier check after a missed appointment")).to_be_visible()
    expect(page.get_by_text("Outcome recorded: did not attend.")).to_be_visible()
    check_url = page.url
    expect(page.get_by_role("region", name="Patient details")).to_contain_text(missed.patient)
    deadline = missed.missed_at + timedelta(days=14)
    expect(rebooking_deadline(page)).to_contain_text(deadline.astimezone(LONDON).strftime("%d %b %Y"))
    expect(rebooking_deadline(page)).to_contain_text("Not rebooked yet")
    expect(page.locator(".nhsuk-summary-list")).not_to_contain_text("was not brought")  # an adult, on her own
    expect(still_to_do(page)).to_have_text(["Record the barriers found (or none)", "Log at least one contact attempt",
                                            "Record the outcome"])
    page.evaluate("window.__marker = 1")

    # each section saves on its own, and the list of what is left follows without a page load
    save_the_barriers(page, "Childcare")
    expect(still_to_do(page)).to_have_text(["Log at least one contact attempt", "Record the outcome"])
    expect(page.get_by_role("checkbox", name="Childcare", exact=True)).to_be_checked()
    log_a_contact_attempt(page, "Telephone", "Yes", "School run clashes with morning clinics")
    expect(still_to_do(page)).to_have_text(["Record the outcome"])
    expect(page.locator("#barrier-check")).to_contain_text(
        "telephone, reached (School run clashes with morning clinics)")
    assert page.evaluate("window.__marker") == 1, "saving a section reloaded the page"
    steps.screenshot(page, "barrier-check-in-progress")

    # leaving the page loses nothing saved
    page.reload()
    expect(page.get_by_role("checkbox", name="Childcare", exact=True)).to_be_checked()
    expect(still_to_do(page)).to_have_text(["Record the outcome"])

    complete_the_barrier_check(page, outcome="Rebooked", alternative="Evening slot", adjustment_kind="Timing",
                               adjustment=EVENING_ADJUSTMENT)
    expect(page.get_by_role("heading", level=1, name=f"Appointments: {MSK}")).to_be_visible()
    expect(page.get_by_text("Barrier check complete. You can now book the next appointment.")).to_be_visible()
    expect(page.get_by_role("heading", name="Barrier check open")).to_have_count(0)
    expect(appointment_on(page, missed.missed_at).locator("td").nth(2)).to_contain_text("Did not attend")

    when = evening_slot_after(missed.missed_at, 10)
    book_an_appointment(page, when=when, appointment_format="Community venue", place=COMMUNITY_VENUE)
    expect(page.get_by_text("Appointment booked.")).to_be_visible()
    booked = appointment_on(page, when)
    expect(booked).to_have_count(1)
    expect(booked.locator("td").nth(1)).to_contain_text(f"Community venue, {COMMUNITY_VENUE}")
    expect(booked.locator("td").nth(2)).to_have_text("Booked", use_inner_text=True)
    timing = adjustments_on(booked).filter(has_text=f"Timing: {EVENING_ADJUSTMENT}")
    expect(timing).to_have_count(1)
    expect(timing.locator(".app-ra-badge")).to_have_text("RA")
    expect(adjustments_in_the_banner(page).filter(has_text=f"Timing: {EVENING_ADJUSTMENT}")).to_have_count(1)
    steps.screenshot(page, "appointments-after-rebooking")

    open_the_referral_of(page, missed.patient)
    in_the_banner = adjustments_in_the_banner(page)
    expect(in_the_banner).to_have_text([f"RA {LARGE_PRINT}", f"RA Timing: {EVENING_ADJUSTMENT}"], use_inner_text=True)
    expect(in_the_banner.filter(has_text="Timing").locator(".app-ra-badge")).to_have_text("RA")
    page.get_by_role("region", name="Patient details").screenshot(path=steps.SHOTS / "banner-with-adjustments.png")
    steps.screenshot(page, "referral-with-adjustments")

    # a completed check has no link to it yet: back to the page the DNA opened
    page.goto(check_url)
    expect(page.get_by_role("heading", level=1, name="Barrier check after a missed appointment")).to_be_visible()
    expect(rebooking_deadline(page)).to_contain_text("Rebooked in time")
    expect(page.locator("#barrier-check")).to_contain_text("Complete: Rebooked")
    expect(page.locator("#barrier-check")).to_contain_text("Barriers: Childcare.")
    expect(page.locator("#barrier-check")).to_contain_text("Alternative offered: Evening slot.")
    steps.screenshot(page, "barrier-check-complete")
    steps.assert_no_csp_violations(console_errors)


# --- accessibility and CSP on every page of the graded response ----------------------------------

def _booking_with_the_outcome_form(page, server, missed):
    sign_in_as_the_clinician(page, server)
    open_the_appointments_for(page, missed.patient)
    expect(appointment_on(page, missed.missed_at).get_by_role("button", name="Record outcome")).to_be_visible()


def _booking_outcome_with_errors(page, server, missed):
    """A did-not-attend with the adjustment left unanswered: the booking page again, the message beside it."""
    sign_in_as_the_clinician(page, server)
    open_the_appointments_for(page, missed.patient)
    record_what_happened(page, missed.missed_at, "Did not attend", {})
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_focused()
    message = "Record whether each adjustment was met (1 not answered)"
    summary.get_by_role("link", name=message).click()
    expect(page.get_by_role("radio", name="Met", exact=True)).to_be_focused()
    expect(page.get_by_role("radio", name="Did not attend", exact=True)).to_be_checked()


def _booking_with_the_barrier_check_open(page, server, missed):
    the_patient_did_not_attend(page, server, missed)
    open_the_appointments_for(page, missed.patient)
    expect(page.get_by_role("heading", name="Barrier check open")).to_be_visible()


def _barrier_check_worklist(page, server, missed):
    the_patient_did_not_attend(page, server, missed)
    steps.go_to(page, "Barrier checks")
    expect(page.get_by_role("heading", level=1, name="Barrier checks")).to_be_visible()
    row = page.locator("#barrier-checks tbody tr", has=page.get_by_role("link", name=missed.patient, exact=True))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("3 days ago")
    expect(adjustments_on(row)).to_have_text([f"RA {LARGE_PRINT}"], use_inner_text=True)


def _barrier_check_empty(page, server, missed):
    the_patient_did_not_attend(page, server, missed)


def _barrier_check_with_errors(page, server, missed):
    the_patient_did_not_attend(page, server, missed)
    press_the_button(page, "Complete barrier check")
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("listitem")).to_have_text(["Select the outcome"])
    expect(page.locator("#outcome-error")).to_contain_text("Select the outcome")
    summary.get_by_role("link", name="Select the outcome").click()
    expect(page.get_by_role("radio", name="Rebooked", exact=True)).to_be_focused()


def _barrier_check_after_a_section_save(page, server, missed):
    the_patient_did_not_attend(page, server, missed)
    save_the_barriers(page, "Childcare")
    expect(still_to_do(page)).to_have_text(["Log at least one contact attempt", "Record the outcome"])


def _adjustments_register(page, server, missed):
    sign_in_as_the_clinician(page, server)
    open_the_referral_of(page, missed.patient)
    page.get_by_role("region", name="Patient details").get_by_role(
        "link", name=f"Reasonable adjustments register for {missed.patient}").click()
    expect(page.get_by_role("heading", level=1, name="Reasonable adjustments")).to_be_visible()


def _adjustment_edit(page, server, missed):
    _adjustments_register(page, server, missed)
    page.get_by_role("link", name=f"Edit, review or end {LARGE_PRINT}").click()
    expect(page.get_by_role("heading", level=1, name="Edit, review or end an adjustment")).to_be_visible()


PAGES = {
    "booking-with-the-outcome-form": _booking_with_the_outcome_form,
    "booking-outcome-with-errors": _booking_outcome_with_errors,
    "booking-with-the-barrier-check-open": _booking_with_the_barrier_check_open,
    "barrier-check-worklist": _barrier_check_worklist,
    "barrier-check-empty": _barrier_check_empty,
    "barrier-check-with-errors": _barrier_check_with_errors,
    "barrier-check-after-a-section-save": _barrier_check_after_a_section_save,
    "adjustment-edit": _adjustment_edit,
}


@pytest.mark.parametrize("name", PAGES)
def test_missed_appointment_page_has_no_axe_violations_and_no_csp_errors(
        page: Page, live_server, missed_appointment, console_errors, name):
    PAGES[name](page, live_server, missed_appointment)
    steps.assert_the_loaded_page_is_clean(page, name, console_errors)


def test_saving_a_section_of_a_was_not_brought_barrier_check_raises_no_csp_errors(page: Page, live_server,
                                                                                   console_errors):
    """htmx settles each swapped field's style attribute by default; under our CSP that was one error a field."""
    from datetime import UTC

    from inclusive_access.domain import appointments, triage
    from inclusive_access.domain.actors import actor_for
    from inclusive_access.extensions import db
    from inclusive_access.models import User
    from tests.blueprints.records import script
    from tests.factories import make_referral

    now = datetime.now(UTC)
    missed_at = datetime.combine((now - timedelta(days=3)).astimezone(LONDON).date(), time(10, 0),
                                 LONDON).astimezone(UTC)
    with live_server.app.app_context():
        booker = actor_for(db.session.query(User).filter_by(username=live_server.username).one())
        child = make_referral(db.session, pathway="msk", given_name="Owain", family_name="Young",
                              date_of_birth="2018-03-14",
                              received_at=(now - timedelta(days=21)).astimezone(LONDON).strftime("%Y-%m-%d %H:%M"))
        triage.triage_referral(db.session, booker, child, child.version, script(contact_times="After school"), [],
                               "accept", now=now - timedelta(days=20))
        appointments.book_appointment(db.session, booker, child, child.version, missed_at, "clinic",
                                      "Leeds Road Health Centre", now=now - timedelta(days=19))
        db.session.commit()
    sign_in_as_the_clinician(page, live_server)
    open_the_appointments_for(page, "Owain YOUNG")
    record_what_happened(page, missed_at, "Did not attend", {})
    expect(page.get_by_role("heading", level=1, name="Barrier check after a missed appointment")).to_be_visible()
    steps.screenshot(page, "barrier-check-was-not-brought")
    save_the_barriers(page, "Childcare")
    expect(still_to_do(page)).to_have_text(["Log at least one contact attempt",
                                            "Answer the safeguarding question (was not brought)", "Record the outcome"])
    page.wait_for_timeout(500)  # htmx settles the swapped fields after 20 ms
    steps.assert_no_csp_violations(console_errors)
