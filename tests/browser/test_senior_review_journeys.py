"""Browser journeys for senior review: two DNAs, the safeguarding route, closure, then discharge with rationale."""
from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect

from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from tests.browser import steps
from tests.browser.test_missed_appointment_journeys import (
    appointment_on,
    complete_the_barrier_check,
    log_a_contact_attempt,
    open_the_appointments_for,
    open_the_referral_of,
    record_what_happened,
    save_the_barriers,
    still_to_do,
)
from tests.browser.test_triage_journeys import choose_with_the_keyboard, press_the_button, type_into

pytestmark = pytest.mark.browser

SENIOR = "browser.senior"
PATIENT = ("Owain", "Lloyd")
BANNER_CONCERN = "Safeguarding concern open"


@pytest.fixture
def two_appointments(live_server) -> SimpleNamespace:
    """An accepted referral with two past clinic appointments and no outcomes yet; a senior user."""
    from inclusive_access.domain import appointments, triage
    from inclusive_access.domain.actors import actor_for
    from inclusive_access.models import User
    from tests.factories import make_referral, make_user

    now = datetime.now(UTC)
    slots = [datetime.combine((now - timedelta(days=d)).astimezone(LONDON).date(), time(10, 0), LONDON)
             .astimezone(UTC) for d in (12, 4)]
    script = triage.BookingScript(contact_method="telephone", contact_times="Mornings", safe_to_leave_message=True,
                                  interpreter_needed=False, language="", communication_needs="", mobility="none",
                                  caring_or_work="", digital_access="phone_only")
    with live_server.app.app_context():
        make_user(db.session, role="senior", username=SENIOR)
        booker = actor_for(db.session.query(User).filter_by(username=live_server.username).one())
        referral = make_referral(
            db.session, pathway="msk", given_name=PATIENT[0], family_name=PATIENT[1], date_of_birth="1979-09-02",
            reason="Hip pain", received_at=(now - timedelta(days=30)).astimezone(LONDON).strftime("%Y-%m-%d %H:%M"))
        triage.triage_referral(db.session, booker, referral, referral.version, script, [], "accept",
                               now=now - timedelta(days=29))
        for slot in slots:
            appointments.book_appointment(db.session, booker, referral, referral.version, slot, "clinic",
                                          "Leeds Road Health Centre", now=now - timedelta(days=28))
        db.session.commit()
        return SimpleNamespace(referral_id=referral.id, slots=slots, patient=f"{PATIENT[0]} {PATIENT[1].upper()}")


# --- helpers, in the words a user would use ------------------------------------------------------

def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1, name="Sign in")).to_be_visible()


def missed_and_not_reached(page: Page, when: datetime, calls: int) -> None:
    """Record the appointment as missed, then work its barrier check: no barriers known, `calls` unanswered."""
    record_what_happened(page, when, "Did not attend", {})
    expect(page.get_by_role("heading", level=1, name="Barrier check after a missed appointment")).to_be_visible()
    save_the_barriers(page)
    expect(still_to_do(page)).to_have_text(["Log at least one contact attempt", "Record the outcome"])
    for call in range(calls):
        log_a_contact_attempt(page, "Telephone", "No", f"No answer, voicemail {call + 1}")
        expect(page.locator("#barrier-check")).to_contain_text(f"No answer, voicemail {call + 1}")
    expect(still_to_do(page)).to_have_text(["Record the outcome"])
    complete_the_barrier_check(page, outcome="Not reached")
    expect(page.get_by_text("Barrier check complete.")).to_be_visible()


def the_clinician_records_two_missed_appointments(page: Page, server, case) -> None:
    steps.sign_in_as(page, server, server.clinician)
    open_the_appointments_for(page, case.patient)
    missed_and_not_reached(page, case.slots[0], calls=1)
    open_the_appointments_for(page, case.patient)
    missed_and_not_reached(page, case.slots[1], calls=3)
    open_the_appointments_for(page, case.patient)
    expect(appointment_on(page, case.slots[1]).locator("td").nth(2)).to_contain_text("Did not attend")


def open_the_review_of(page: Page, patient: str, kind: str) -> None:
    steps.go_to(page, "Senior review")
    expect(page.get_by_role("heading", level=1, name="Senior review")).to_be_visible()
    page.locator("#senior-reviews").get_by_role("link", name=f"{patient} ({kind.lower()})", exact=True).click()
    expect(page.get_by_role("heading", level=1, name=f"Senior review: {kind}")).to_be_visible()


def banner(page: Page):
    return page.get_by_role("region", name="Patient details")


# --- the journey --------------------------------------------------------------------------------

def test_two_dnas_go_to_senior_review_the_safeguarding_route_then_discharge_with_rationale(
        page: Page, live_server, two_appointments, console_errors):
    case = two_appointments
    the_clinician_records_two_missed_appointments(page, live_server, case)
    open_the_referral_of(page, case.patient)
    expect(page.locator("main p", has_text="Waiting for senior review:")).to_contain_text(
        "Missed appointments or not reached")
    expect(page.get_by_role("link", name="Open the review")).to_have_count(0)  # only a senior decides
    sign_out(page)

    # the senior's queue: the review, with the DNA and contact history and the lost-contact prompt
    steps.sign_in_as(page, live_server, SENIOR)
    open_the_review_of(page, case.patient, "Missed appointments or not reached")
    expect(page.get_by_role("heading", name="Lost contact: consider the safeguarding route")).to_be_visible()
    history = page.locator("table", has=page.get_by_role("columnheader", name="Barrier check"))
    expect(history.locator("tbody tr")).to_have_count(2)
    expect(history).to_contain_text("Complete: Not reached")
    expect(page.get_by_label("Kind of concern", exact=True)).to_have_value("lost_contact")
    steps.screenshot(page, "senior-review-lost-contact")

    choose_with_the_keyboard(page, "Decision", "Safeguarding route: raise a concern and continue engagement")
    type_into(page, "Rationale", "Two missed appointments and no answer to four calls")
    type_into(page, "The concern", "Lives alone; not reached since the first missed appointment")
    press_the_button(page, "Record decision")
    expect(page.get_by_text("Decision recorded: the referral is now accepted.")).to_be_visible()
    expect(page.locator("#senior-reviews")).not_to_contain_text(case.patient)

    # the concern shows on the banner wherever the patient appears
    open_the_referral_of(page, case.patient)
    expect(banner(page).get_by_text(BANNER_CONCERN)).to_be_visible()
    banner(page).get_by_role("link", name="Lost contact", exact=False).click()
    expect(page.get_by_role("heading", level=1, name="Safeguarding concern: Lost contact")).to_be_visible()
    type_into(page, "Referred to (multi-agency review, team or person)", "Leeds adult safeguarding hub")
    page.get_by_label("Date referred", exact=True).fill(datetime.now(UTC).astimezone(LONDON).date().isoformat())
    type_into(page, "Their reference (optional)", "LASH-2291")
    press_the_button(page, "Save the referral")
    expect(page.get_by_text("Multi-agency referral recorded.")).to_be_visible()
    type_into(page, "Action taken", "Welfare visit by the neighbourhood team: patient safe and well")
    press_the_button(page, "Record action")
    expect(page.get_by_role("list").filter(has_text="Welfare visit")).to_have_count(1)
    steps.screenshot(page, "safeguarding-concern-open")
    type_into(page, "Outcome of the safeguarding route", "Safe and well; has moved in with family out of area")
    type_into(page, "Closing summary", "No ongoing risk. Hub reference LASH-2291 closed.")
    press_the_button(page, "Close concern")
    expect(page.get_by_text("Safeguarding concern closed.")).to_be_visible()
    expect(banner(page).get_by_text(BANNER_CONCERN)).to_have_count(0)
    sign_out(page)

    # the clinician asks for discharge (the barrier checks are complete); another person decides
    steps.sign_in_as(page, live_server, live_server.clinician)
    open_the_referral_of(page, case.patient)
    expect(banner(page).get_by_text(BANNER_CONCERN)).to_have_count(0)
    page.get_by_role("link", name="Request discharge", exact=True).click()
    choose_with_the_keyboard(page, "Why should this referral be discharged?", "Non-attendance")
    type_into(page, "Explain the request for the senior reviewing it",
              "Moved out of area with family; safeguarding closed")
    press_the_button(page, "Send to a senior for review")
    expect(page.get_by_text("Discharge requested: a senior will review it")).to_be_visible()
    sign_out(page)

    steps.sign_in_as(page, live_server, SENIOR)
    open_the_review_of(page, case.patient, "Discharge request")
    choose_with_the_keyboard(page, "Decision", "Approve discharge")
    type_into(page, "Rationale", "Barrier checks complete, safeguarding closed, GP informed")
    press_the_button(page, "Record decision")
    expect(page.get_by_text("Decision recorded: the referral is now discharged.")).to_be_visible()
    open_the_referral_of(page, case.patient)
    expect(page.get_by_text("This referral is read-only.")).to_be_visible()
    expect(page.get_by_role("link", name="Re-refer this patient")).to_be_visible()
    expect(page.get_by_role("link", name="Request discharge")).to_have_count(0)
    steps.screenshot(page, "referral-discharged")
    steps.assert_no_csp_violations(console_errors)


# --- accessibility and CSP on the new pages ------------------------------------------------------

def missed_and_not_reached_through_the_domain(server, case, calls: tuple[int, ...] = (1, 3)) -> None:
    """What the_clinician_records_two_missed_appointments does through the pages, done directly (the journey
    above proves the pages; the accessibility checks only need the state)."""
    from inclusive_access.domain import appointments, dna
    from inclusive_access.domain.actors import actor_for
    from inclusive_access.models import Appointment, User

    with server.app.app_context():
        clinician = actor_for(db.session.query(User).filter_by(username=server.clinician).one())
        for slot, tries in zip(case.slots, calls, strict=False):
            appointment = db.session.query(Appointment).filter_by(referral_id=case.referral_id, starts_at=slot).one()
            appointments.record_outcome(db.session, clinician, appointment, appointment.version, "dna")
            check = dna.open_check_for(db.session, case.referral_id)
            dna.save_barriers(db.session, clinician, check, check.version, [], None, None)
            for _ in range(tries):
                dna.log_attempt(db.session, clinician, check, "telephone", False, "No answer")
            dna.complete_barrier_check(db.session, clinician, check, check.version, "not_reached")
        db.session.commit()


def _review_with_the_prompt(page, server, case):
    missed_and_not_reached_through_the_domain(server, case)
    steps.sign_in_as(page, server, SENIOR)
    open_the_review_of(page, case.patient, "Missed appointments or not reached")


def _review_with_errors(page, server, case):
    _review_with_the_prompt(page, server, case)
    choose_with_the_keyboard(page, "Decision", "Continue engagement")
    press_the_button(page, "Record decision")
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("listitem")).to_have_text(["Record the rationale for the decision"])


def _from_the_referral(page, server, case, link: str, heading: str) -> None:
    """As the clinician, open the case's referral and follow `link` to the page headed `heading`."""
    steps.sign_in_as(page, server, server.clinician)
    open_the_referral_of(page, case.patient)
    page.get_by_role("link", name=link, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()


def _discharge_request(page, server, case):
    missed_and_not_reached_through_the_domain(server, case, calls=(1,))
    _from_the_referral(page, server, case, "Request discharge", "Request discharge: Musculoskeletal (MSK)")


def _discharge_request_with_errors(page, server, case):
    _discharge_request(page, server, case)
    press_the_button(page, "Send to a senior for review")
    expect(page.locator(".nhsuk-error-summary")).to_be_focused()


def _raise_concern(page, server, case):
    _from_the_referral(page, server, case, "Raise a safeguarding concern", "Raise a safeguarding concern")


def _concern(page, server, case):
    _raise_concern(page, server, case)
    page.get_by_label("Kind of concern", exact=True).select_option(label="Self-neglect")
    type_into(page, "The concern", "Home very cold, little food in the house")
    page.get_by_role("group", name="Did the concern follow a delay on the pathway?").get_by_label(
        "Not known", exact=True).check()
    press_the_button(page, "Raise concern")
    expect(page.get_by_role("heading", level=1, name="Safeguarding concern: Self-neglect")).to_be_visible()


PAGES = {
    "senior-review-with-the-lost-contact-prompt": _review_with_the_prompt,
    "senior-review-with-errors": _review_with_errors,
    "discharge-request": _discharge_request,
    "discharge-request-with-errors": _discharge_request_with_errors,
    "raise-a-concern": _raise_concern,
    "safeguarding-concern": _concern,
}


@pytest.mark.parametrize("name", PAGES)
def test_senior_review_page_has_no_axe_violations_and_no_csp_errors(
        page: Page, live_server, two_appointments, console_errors, name):
    PAGES[name](page, live_server, two_appointments)
    steps.assert_the_loaded_page_is_clean(page, name, console_errors)
