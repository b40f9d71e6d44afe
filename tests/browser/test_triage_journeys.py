"""Browser journeys for triage: the booking script, booking with an interpreter, rapid clarification, axe and CSP."""
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser import steps

pytestmark = pytest.mark.browser

INTERPRETER_PATIENT = "Zuzanna NOWAK"
UNCLEAR_PATIENT = "Gwen UNCLEAR"
MSK = "Musculoskeletal (MSK)"


# --- helpers, in the words a user would use ------------------------------------------------------

def radio_group(page: Page, question: str) -> Locator:
    return page.get_by_role("group", name=question, exact=True)


def choose_with_the_keyboard(page: Page, question: str, answer: str) -> None:
    """Tab into a radio group (its first option) and move to the answer with the arrow keys, or Space."""
    steps.page_is_ready(page)
    radios = radio_group(page, question).get_by_role("radio")
    labels = [text.strip() for text in radios.evaluate_all("inputs => inputs.map(i => i.labels[0].innerText)")]
    position = labels.index(answer)
    radios.first.focus()
    page.keyboard.press("Space" if position == 0 else "ArrowDown")
    for _ in range(max(position - 1, 0)):
        page.keyboard.press("ArrowDown")
    expect(radios.nth(position)).to_be_checked()
    expect(radios.nth(position)).to_be_focused()


def type_into(page: Page, label: str, text: str) -> None:
    """Focus a text field, clear it and type, key by key."""
    steps.page_is_ready(page)
    field = page.get_by_label(label, exact=True)
    field.focus()
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.press("Delete")
    page.keyboard.type(text)
    expect(field).to_have_value(text)


def press_the_button(page: Page, name: str) -> None:
    steps.page_is_ready(page)
    page.get_by_role("button", name=name, exact=True).focus()
    page.keyboard.press("Enter")


def suggestions(page: Page) -> Locator:
    return page.locator("#suggestions")


def worklist_row(page: Page, patient: str) -> Locator:
    return page.locator("#worklist tbody tr", has=page.get_by_role("link", name=f"Triage {patient}", exact=True))


def open_from_the_triage_worklist(page: Page, patient: str) -> None:
    steps.go_to(page, "Triage")
    expect(page.get_by_role("heading", level=1, name="Triage worklist")).to_be_visible()
    page.get_by_role("link", name=f"Triage {patient}", exact=True).click()
    expect(page.get_by_role("heading", level=1, name=f"Triage: {MSK}")).to_be_visible()


def triage_through_the_script(page: Page, *, contact="Telephone", safe_to_leave_message="Yes", interpreter="No",
                              language="", mobility="No difficulty travelling",
                              digital="Smartphone or computer, happy to use video") -> None:
    """Ask the booking script's questions, answering each from the keyboard."""
    choose_with_the_keyboard(page, "How does the patient prefer to be contacted?", contact)
    choose_with_the_keyboard(page, "Is it safe to leave a message?", safe_to_leave_message)
    choose_with_the_keyboard(page, "Do they need an interpreter?", interpreter)
    if language:
        type_into(page, "Language", language)
    choose_with_the_keyboard(page, "Mobility and travel", mobility)
    choose_with_the_keyboard(page, "Telephone and internet access", digital)


def book_an_appointment(page: Page, *, when: datetime, appointment_format: str, notes: str = "") -> None:
    page.get_by_label("Date and time", exact=True).fill(when.strftime("%Y-%m-%dT%H:%M"))
    choose_with_the_keyboard(page, "Format", appointment_format)
    if notes:
        type_into(page, "Support to arrange (for example, book a Polish interpreter)", notes)
    press_the_button(page, "Book appointment")


def ask_the_referrer_for_clarification(page: Page, *, question: str, channel: str, whom: str | None = None) -> None:
    """Choose the clarification outcome; its questions appear under the outcomes and are reached with Tab."""
    details = page.get_by_role("group", name="If you ask the referrer for clarification")
    expect(details).to_be_hidden()
    choose_with_the_keyboard(page, "What happens next?", "Ask the referrer for clarification")
    expect(details).to_be_visible()
    expect(page.get_by_role("group", name="If you reject")).to_be_hidden()
    page.keyboard.press("Tab")  # from the chosen outcome straight into the revealed question
    expect(page.get_by_label("Question for the referrer", exact=True)).to_be_focused()
    page.keyboard.type(question)
    page.keyboard.press("Tab")
    expect(radio_group(page, "How will you contact them?").get_by_role("radio").first).to_be_focused()
    choose_with_the_keyboard(page, "How will you contact them?", channel)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Whom will you contact?", exact=True)).to_be_focused()
    if whom:
        type_into(page, "Whom will you contact?", whom)


def sign_in_and_accept_the_interpreter_referral(page: Page, server) -> None:
    """Sign in, triage the Polish speaker's referral and accept it: the booking page follows."""
    steps.sign_in_as(page, server)
    open_from_the_triage_worklist(page, INTERPRETER_PATIENT)
    triage_through_the_script(page, interpreter="Yes", language="Polish")
    choose_with_the_keyboard(page, "What happens next?", "Accept and book the first appointment")
    press_the_button(page, "Save triage")
    expect(page.get_by_role("heading", level=1, name=f"Appointments: {MSK}")).to_be_visible()


def sign_in_and_ask_about_the_unclear_referral(page: Page, server, username: str | None = None) -> None:
    steps.sign_in_as(page, server, username)
    open_from_the_triage_worklist(page, UNCLEAR_PATIENT)
    triage_through_the_script(page)
    ask_the_referrer_for_clarification(page, question="What has been tried so far, and for how long?",
                                       channel="Telephone")
    press_the_button(page, "Save triage")
    expect(page.get_by_role("heading", level=1, name="Triage worklist")).to_be_visible()


def next_week_at(hour: int, minute: int = 0) -> datetime:
    return (datetime.now() + timedelta(days=7)).replace(hour=hour, minute=minute, second=0, microsecond=0)


# --- journeys -----------------------------------------------------------------------------------

def test_a_booking_user_triages_a_flagged_referral_and_books_a_telephone_interpreter(
        page: Page, live_server, console_errors):
    steps.sign_in_as(page, live_server)
    steps.go_to(page, "Triage")
    expect(page.get_by_role("heading", level=1, name="Triage worklist")).to_be_visible()
    row = worklist_row(page, INTERPRETER_PATIENT)
    expect(row).to_have_count(1)
    expect(row.locator(".app-tag-list .nhsuk-tag")).to_have_text(["Language need"])
    expect(row).to_contain_text(MSK)
    expect(row).to_contain_text("Urgent")
    expect(row).to_contain_text("due ")

    row.get_by_role("link", name=f"Triage {INTERPRETER_PATIENT}").click()
    expect(page.get_by_role("heading", level=1, name=f"Triage: {MSK}")).to_be_visible()
    expect(page.get_by_role("region", name="Patient details")).to_contain_text(INTERPRETER_PATIENT)
    page.evaluate("window.__marker = 1")

    # the suggestions follow the answers without a page load
    triage_through_the_script(page, contact="Telephone", safe_to_leave_message="No", interpreter="No",
                              mobility="Needs step-free access")
    expect(suggestions(page)).not_to_contain_text("Telephone with interpreter")
    expect(suggestions(page)).to_contain_text("Environment and access: Step-free access")
    choose_with_the_keyboard(page, "Do they need an interpreter?", "Yes")
    type_into(page, "Language", "Polish")
    page.keyboard.press("Tab")  # leaving the field sends its change
    expect(suggestions(page)).to_contain_text("Formats: Telephone with interpreter")
    expect(suggestions(page)).to_contain_text("Communication support: Polish interpreter for every contact")
    assert page.evaluate("window.__marker") == 1, "answering the script reloaded the page"

    record = page.get_by_role("checkbox", name="Record the suggested adjustments")
    record.focus()
    page.keyboard.press("Space")
    expect(record).to_be_checked()
    choose_with_the_keyboard(page, "What happens next?", "Accept and book the first appointment")
    steps.screenshot(page, "triage-answered")
    press_the_button(page, "Save triage")

    expect(page.get_by_role("heading", level=1, name=f"Appointments: {MSK}")).to_be_visible()
    expect(page.get_by_text("Triage recorded: accepted.")).to_be_visible()
    expect(page.get_by_role("heading", name="Book an interpreter")).to_be_visible()
    expect(page.locator(".nhsuk-card--warning")).to_contain_text("Polish interpreter for every contact")
    expect(page.get_by_text("The booking script suggested:")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Communication support: Polish interpreter for every contact")
    expect(page.locator("main")).to_contain_text("Environment and access: Step-free access")

    when = next_week_at(17, 30)  # an evening clinic, outside working hours
    book_an_appointment(page, when=when, appointment_format="Telephone with interpreter",
                        notes="Polish interpreter booked through the language line")
    expect(page.get_by_text("Appointment booked.")).to_be_visible()
    booked = page.locator("main table tbody tr")
    expect(booked).to_have_count(1)
    expect(booked.first.locator("td").nth(0)).to_have_text(when.strftime("%a %d %b %Y %H:%M"), use_inner_text=True)
    expect(booked.first.locator("td").nth(1)).to_contain_text("Telephone with interpreter")
    expect(booked.first.locator("td").nth(2)).to_have_text("Booked", use_inner_text=True)
    steps.screenshot(page, "booking")

    steps.go_to(page, "Triage")
    expect(page.get_by_role("heading", level=1, name="Triage worklist")).to_be_visible()
    expect(page.locator("#worklist-count")).to_have_text(f"{live_server.total - 1} referrals awaiting triage.")
    expect(page.get_by_role("link", name=f"Triage {INTERPRETER_PATIENT}")).to_have_count(0)
    steps.assert_no_csp_violations(console_errors)


def test_a_clinician_asks_the_referrer_and_the_answer_returns_the_referral_to_the_top(
        page: Page, live_server, console_errors):
    sign_in_and_ask_about_the_unclear_referral(page, live_server, live_server.clinician)
    expect(page.get_by_text("Triage recorded: awaiting clarification.")).to_be_visible()
    expect(page.get_by_role("link", name=f"Triage {UNCLEAR_PATIENT}")).to_have_count(0)

    steps.go_to(page, "Clarifications")
    expect(page.get_by_role("heading", level=1, name="Clarifications")).to_be_visible()
    row = page.locator("#clarifications tbody tr", has_text=UNCLEAR_PATIENT)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Telephone to Dr Rhys Vague")
    expect(row).to_contain_text("What has been tried so far, and for how long?")
    expect(row.get_by_role("cell").nth(3)).to_have_accessible_name("0")  # the column name before it is aria-hidden
    row.get_by_role("link", name=UNCLEAR_PATIENT).click()

    expect(page.get_by_role("heading", level=1, name="Clarification")).to_be_visible()
    expect(page.get_by_role("region", name="Patient details")).to_contain_text(UNCLEAR_PATIENT)
    expect(page.locator(".nhsuk-summary-list").get_by_role("link", name=MSK, exact=True)).to_have_attribute(
        "href", f"/referrals/{live_server.unclear_referral_id}")
    choose_with_the_keyboard(page, "How did you try to contact them?", "Telephone")
    choose_with_the_keyboard(page, "Did you reach them?", "No")
    type_into(page, "Note (optional)", "Voicemail; left a message to call back")
    press_the_button(page, "Record attempt")
    expect(page.get_by_text("Contact attempt recorded.")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Telephone, not reached (Voicemail; left a message to call back)")

    type_into(page, "The referrer's answer", "Six weeks of physiotherapy exercises; no better. Pain at night.")
    press_the_button(page, "Close and return to triage")

    expect(page.get_by_role("heading", level=1, name="Triage worklist")).to_be_visible()
    expect(page.get_by_text("the referral is back at the top of the triage worklist")).to_be_visible()
    first = page.locator("#worklist tbody tr").first
    expect(first.get_by_role("link", name=f"Triage {UNCLEAR_PATIENT}")).to_be_visible()
    expect(first.locator(".nhsuk-tag", has_text="Back from clarification")).to_be_visible()
    expect(page.locator("#worklist-count")).to_have_text(f"{live_server.total} referrals awaiting triage.")
    steps.assert_no_csp_violations(console_errors)


def test_the_triage_page_summarises_missing_answers_and_keeps_the_chosen_outcome_open(
        page: Page, live_server, console_errors):
    steps.sign_in_as(page, live_server)
    open_from_the_triage_worklist(page, UNCLEAR_PATIENT)
    for outcome in ("Ask the referrer for clarification", "Escalate to senior triage", "Reject"):
        expect(page.get_by_role("group", name=f"If you {outcome.split()[0].lower()}")).to_be_hidden()
    choose_with_the_keyboard(page, "What happens next?", "Escalate to senior triage")
    expect(page.get_by_label("Why does this need a senior?", exact=True)).to_be_visible()
    page.keyboard.press("ArrowDown")  # on to Reject: escalation's question goes, rejection's comes
    expect(page.get_by_label("Why does this need a senior?", exact=True)).to_be_hidden()
    expect(page.get_by_label("Reason for rejecting", exact=True)).to_be_visible()
    expect(page.get_by_role("radio", name="Reject", exact=True)).to_have_accessible_description(
        "Then choose the reason and explain the decision")
    press_the_button(page, "Save triage")

    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_focused()
    expect(page).to_have_title(f"Error: Triage {UNCLEAR_PATIENT} - Inclusive Access")
    expect(summary.get_by_role("listitem")).to_have_text([
        "Select how the patient prefers to be contacted", "Select whether it is safe to leave a message",
        "Select what travel to an appointment involves for them", "Select their telephone and internet access"])
    expect(page.get_by_role("radio", name="Reject", exact=True)).to_be_checked()
    expect(page.get_by_label("Reason for rejecting", exact=True)).to_be_visible()  # still open after the reload
    expect(radio_group(page, "Do they need an interpreter?").get_by_label("No", exact=True)).to_be_checked()
    summary.get_by_role("link", name="Select how the patient prefers to be contacted").click()
    expect(radio_group(page, "How does the patient prefer to be contacted?").get_by_role("radio").first
           ).to_be_focused()
    steps.forget_the_expected_400(console_errors, page.url)
    steps.assert_no_csp_violations(console_errors)


# --- accessibility and CSP on every triage page --------------------------------------------------

def _triage_empty(page, server):
    steps.sign_in_as(page, server)
    open_from_the_triage_worklist(page, INTERPRETER_PATIENT)


def _triage_with_errors(page, server):
    _triage_empty(page, server)
    press_the_button(page, "Save triage")
    expect(page.locator(".nhsuk-error-summary")).to_be_focused()


def _flags_with_errors(page, server):
    _triage_empty(page, server)
    page.get_by_role("link", name="Correct the inequality flags").click()
    page.get_by_label("Caring responsibilities").check()
    press_the_button(page, "Save the flags")
    expect(page.locator(".nhsuk-error-summary")).to_be_focused()
    expect(page.get_by_label("Caring responsibilities")).to_be_checked()


def _triage_clarification_revealed(page, server):
    _triage_empty(page, server)
    triage_through_the_script(page, interpreter="Yes", language="Polish")
    choose_with_the_keyboard(page, "What happens next?", "Ask the referrer for clarification")
    expect(page.get_by_label("Question for the referrer", exact=True)).to_be_visible()


def _booking(page, server):
    sign_in_and_accept_the_interpreter_referral(page, server)
    book_an_appointment(page, when=next_week_at(10), appointment_format="Telephone with interpreter")
    expect(page.get_by_text("Appointment booked.")).to_be_visible()


def _booking_with_errors(page, server):
    sign_in_and_accept_the_interpreter_referral(page, server)
    press_the_button(page, "Book appointment")
    expect(page.locator(".nhsuk-error-summary")).to_be_focused()


PAGES = {
    "triage-with-errors": _triage_with_errors,
    "flags-correction-with-errors": _flags_with_errors,
    "triage-clarification-revealed": _triage_clarification_revealed,
    "booking": _booking,
    "booking-with-errors": _booking_with_errors,
}


@pytest.mark.parametrize("name", PAGES)
def test_triage_page_has_no_axe_violations_and_no_csp_errors(page: Page, live_server, console_errors, name):
    PAGES[name](page, live_server)
    shot = name not in ("booking", "booking-with-errors")
    steps.assert_the_loaded_page_is_clean(page, name, console_errors, shot=shot)
