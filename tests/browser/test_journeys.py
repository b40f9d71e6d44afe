"""Browser journeys in Chromium: intake, htmx filtering, error focus, and axe and CSP checks on every page."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser import steps
from tests.conftest import PASSWORD
from tests.factories import next_nhs_number

pytestmark = pytest.mark.browser


# --- helpers, in the words a user would use ------------------------------------------------------

def a_polish_speaking_patient(**overrides) -> dict:
    patient = {
        "nhs_number": next_nhs_number(),
        "given_name": "Zofia", "family_name": "Kowalska", "dob": ("7", "11", "1948"), "sex": "Female",
        "ethnic_category": "White - Any other White background",
        "interpreter_needed": "Yes", "preferred_language": "Polish",
        "housing_status": "Temporary or hostel accommodation",
        "pathway": "Community mental health",
        "referrer_name": "Dr Ada Lovelace", "referrer_organisation": "Leeds Road Surgery",
        "referrer_contact": "0113 496 0123",
        "reason": "Low mood since moving into the hostel.\nNeeds a Polish interpreter.",
        "urgency": "Urgent",
    }
    patient.update(overrides)
    return patient


def fill_in_the_intake_form(page: Page, patient: dict) -> None:
    page.get_by_label("NHS number", exact=True).fill(patient["nhs_number"])
    page.get_by_label("Given name", exact=True).fill(patient["given_name"])
    page.get_by_label("Family name", exact=True).fill(patient["family_name"])
    date_of_birth = page.get_by_role("group", name="Date of birth")
    for label, value in zip(("Day", "Month", "Year"), patient["dob"], strict=True):
        date_of_birth.get_by_label(label, exact=True).fill(value)
    page.get_by_role("group", name="Sex", exact=True).get_by_label(patient["sex"], exact=True).check()
    page.get_by_label("Ethnic category", exact=True).select_option(label=patient["ethnic_category"])
    page.get_by_label("Preferred language (optional)").fill(patient["preferred_language"])
    page.get_by_role("group", name="Interpreter needed?").get_by_label(patient["interpreter_needed"],
                                                                       exact=True).check()
    page.get_by_label("Housing status", exact=True).select_option(label=patient["housing_status"])
    page.get_by_label("Pathway", exact=True).select_option(label=patient["pathway"])
    page.get_by_label("Referrer's name", exact=True).fill(patient["referrer_name"])
    page.get_by_label("Referrer's organisation", exact=True).fill(patient["referrer_organisation"])
    page.get_by_label("Referrer's telephone or email", exact=True).fill(patient["referrer_contact"])
    page.get_by_label("Reason for referral", exact=True).fill(patient["reason"])
    page.get_by_role("group", name="Urgency").get_by_label(patient["urgency"], exact=True).check()


def create_referral_through_the_form(page: Page, patient: dict) -> None:
    steps.go_to(page, "New referral")
    expect(page.get_by_role("heading", level=1, name="New referral")).to_be_visible()
    fill_in_the_intake_form(page, patient)
    page.get_by_role("button", name="Save referral").click()


def filter_referrals_by(page: Page, label: str, option: str, expected_count: str) -> None:
    """Change one filter select; htmx swaps the results in, so the page itself must not reload."""
    steps.page_is_ready(page)
    page.get_by_role("combobox", name=label, exact=True).select_option(label=option)
    expect(page.locator("#results-count")).to_have_text(expected_count)


# --- journeys -----------------------------------------------------------------------------------

def test_booking_staff_record_a_referral_and_find_it_by_filtering(page: Page, live_server, console_errors):
    steps.sign_in_as(page, live_server)
    steps.go_to(page, "Referrals")
    expect(page.locator("#results-count")).to_have_text(f"{live_server.total} referrals found.")
    expect(page.locator("body")).to_contain_class("js-enabled nhsuk-frontend-supported")
    steps.screenshot(page, "referral-list")

    patient = a_polish_speaking_patient()
    create_referral_through_the_form(page, patient)

    expect(page.get_by_role("heading", name="Referral received")).to_be_visible()
    expect(page.get_by_role("heading", level=1, name="Referral: Community mental health")).to_be_visible()
    banner = page.get_by_role("region", name="Patient details")
    expect(banner).to_contain_text("Zofia KOWALSKA")
    expect(banner).to_contain_text(f"{patient['nhs_number'][:3]} {patient['nhs_number'][3:6]} "
                                   f"{patient['nhs_number'][6:]}")
    expect(banner).to_contain_text("07 Nov 1948")  # the three date boxes reached the server
    expect(banner).to_contain_text("Polish")
    flags = banner.get_by_role("list", name="Inequality flags").locator(".nhsuk-tag")
    expect(flags).to_have_text(["Housing instability", "Language need"])
    reason = page.locator(".nhsuk-summary-list__row", has_text="Reason").locator(".nhsuk-summary-list__value")
    assert reason.inner_text().strip() == patient["reason"]  # shown with its line break
    steps.screenshot(page, "referral")

    steps.go_to(page, "Referrals")
    total = live_server.total + 1
    expect(page.locator("#results-count")).to_have_text(f"{total} referrals found.")
    page.evaluate("window.__marker = 1")

    filter_referrals_by(page, "Inequality flags", "Flagged only", f"{live_server.flagged + 1} referrals found.")
    filter_referrals_by(page, "Pathway", "Community mental health", "1 referral found.")
    assert page.evaluate("window.__marker") == 1, "the filter reloaded the whole page"
    assert "pathway=mental_health" in page.url  # hx-push-url keeps the filtered list bookmarkable
    assert "flagged=yes" in page.url
    rows = page.locator("#referral-results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".nhsuk-tag")).to_have_text(["Housing instability", "Language need"])

    rows.first.get_by_role("link", name="Zofia KOWALSKA").click()
    expect(page.get_by_role("heading", level=1, name="Referral: Community mental health")).to_be_visible()
    expect(page.get_by_role("heading", name="Referral received")).to_have_count(0)  # the flash was shown once
    steps.assert_no_csp_violations(console_errors)


def test_an_invalid_nhs_number_is_summarised_and_the_summary_takes_focus(page: Page, live_server, console_errors):
    steps.sign_in_as(page, live_server)
    create_referral_form = a_polish_speaking_patient(nhs_number="123 456 7890")
    steps.go_to(page, "New referral")
    fill_in_the_intake_form(page, create_referral_form)
    page.get_by_label("NHS number", exact=True).press("Enter")  # submitted from the keyboard

    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    message = "Enter a valid NHS number (the check digit does not match)"
    expect(summary.get_by_role("listitem")).to_have_text([message])
    expect(page).to_have_title("Error: New referral - Inclusive Access")
    expect(page.locator("#nhs_number-error")).to_contain_text(message)
    expect(page.get_by_label("Given name", exact=True)).to_have_value("Zofia")  # the answers are kept

    summary.get_by_role("link", name=message).click()
    expect(page.get_by_label("NHS number", exact=True)).to_be_focused()
    steps.forget_the_expected_400(console_errors, page.url)
    steps.assert_no_csp_violations(console_errors)


def test_the_csp_check_catches_an_inline_style(page: Page, live_server, console_errors):
    """The console check is only worth having if it sees a blocked inline style: prove that it does."""
    page.goto(f"{live_server.url}/auth/login")
    with page.expect_console_message(lambda message: "Content Security Policy" in message.text):
        page.locator("main").evaluate("""main => main.insertAdjacentHTML("beforeend", '<p style="color: red">x</p>')""")
    with pytest.raises(AssertionError, match="Content Security Policy"):
        steps.assert_no_csp_violations(console_errors)


def test_a_user_changes_their_password_with_the_keyboard_alone(page: Page, live_server, console_errors):
    steps.sign_in_as(page, live_server)
    steps.page_is_ready(page)
    page.get_by_role("link", name="Change password").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Change your password")).to_be_visible()
    page.get_by_label("Current password").focus()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    expect(page.get_by_label("New password", exact=True)).to_be_focused()
    page.keyboard.type("plum orbit lantern 42")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Confirm your new password")).to_be_focused()
    page.keyboard.type("plum orbit lantern 42")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your password has been changed.")).to_be_visible()
    steps.assert_no_csp_violations(console_errors)


# --- accessibility and CSP on every page ----------------------------------------------------------

def _login(page, server):
    page.goto(f"{server.url}/auth/login")


def _referral_list(page, server):
    steps.sign_in_as(page, server)
    steps.go_to(page, "Referrals")


def _referral_list_filtered(page, server):
    _referral_list(page, server)
    not_flagged = server.total - server.flagged
    filter_referrals_by(page, "Inequality flags", "Not flagged", f"{not_flagged} referrals found.")


def _intake_empty(page, server):
    steps.sign_in_as(page, server)
    steps.go_to(page, "New referral")


def _intake_with_errors(page, server):
    _intake_empty(page, server)
    page.get_by_role("button", name="Save referral").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_focused()


def _referral(page, server):
    _referral_list(page, server)
    page.get_by_role("link", name="Dafydd INTERPRETER").click()
    heading = page.get_by_role("heading", level=1, name="Referral: Community frailty and discharge support")
    expect(heading).to_be_visible()


def _change_password_with_errors(page, server):
    steps.sign_in_as(page, server)
    page.get_by_role("link", name="Change password").click()
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_focused()


PAGES = {
    "login": _login,
    "change-password-with-errors": _change_password_with_errors,
    "referral-list-filtered": _referral_list_filtered,
    "intake-with-errors": _intake_with_errors,
    "referral": _referral,
}


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_axe_violations_and_no_csp_errors(page: Page, live_server, console_errors, name):
    PAGES[name](page, live_server)
    steps.assert_the_loaded_page_is_clean(page, name, console_errors, shot=False)
