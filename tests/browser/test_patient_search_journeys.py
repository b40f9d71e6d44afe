"""Browser journeys for patient search: by keyboard from the header, results with flags, on a phone and a desktop."""
import re

import pytest
from playwright.sync_api import Page, expect

from inclusive_access.extensions import db
from tests.browser import steps

pytestmark = pytest.mark.browser



def search_by_keyboard(page: Page, label: str, text: str) -> None:
    """Type into one box of the search form and press Enter there, as staff on the phone to a patient do."""
    steps.page_is_ready(page)
    field = page.get_by_label(label, exact=True)
    field.focus()
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.wait_for_load_state("load")


def results(page: Page):
    return page.get_by_role("table", name="Patients matching your search, by family name")


@pytest.fixture
def accented_patient(live_server) -> None:
    """Zoë O'Brien-Featherstonehaugh, who needs an interpreter: a long name with an accent and an apostrophe."""
    from tests.factories import make_referral

    with live_server.app.app_context():
        make_referral(db.session, given_name="Zoë", family_name="O'Brien-Featherstonehaugh",
                      interpreter_needed="yes", preferred_language="Somali", pathway="frailty")
        db.session.commit()


@pytest.mark.parametrize("viewport", [steps.PHONE, steps.DESKTOP], ids=["375px", "1280px"])
def test_booking_staff_find_a_patient_by_keyboard_and_open_their_referral(page: Page, live_server, console_errors,
                                                                           accented_patient, viewport):
    page.set_viewport_size(viewport)
    steps.sign_in_as(page, live_server)
    steps.go_to(page, "Find a patient")
    expect(page.get_by_role("heading", name="Find a patient", level=1)).to_be_visible()
    steps.assert_no_accessibility_violations(page, f"patient search form at {viewport['width']} px")

    search_by_keyboard(page, "Name", "zoe obrien")
    table = results(page)
    expect(table).to_be_visible()
    expect(page.get_by_text("1 patient found.")).to_be_visible()
    expect(table.get_by_role("link", name="Zoë O'BRIEN-FEATHERSTONEHAUGH", exact=True)).to_be_visible()
    expect(table.get_by_text("Language need")).to_be_visible()
    steps.assert_no_accessibility_violations(page, f"patient search results at {viewport['width']} px")
    assert steps.page_width(page) <= viewport["width"]
    steps.screenshot(page, f"patient-search-{viewport['width']}")

    table.get_by_role("link", name=re.compile("referral for Zoë O'BRIEN")).focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/referrals/{live_server.referral_ids[-1] + 1}")
    steps.assert_no_csp_violations(console_errors)


def test_a_wrong_nhs_number_is_explained_and_nothing_found_says_so(page: Page, live_server, console_errors):
    page.set_viewport_size(steps.PHONE)
    steps.sign_in_as(page, live_server)
    page.goto(f"{live_server.url}/patients/search")
    search_by_keyboard(page, "NHS number", "943 476 591")
    expect(page.get_by_role("alert").get_by_text("NHS number must be 10 digits")).to_be_visible()
    expect(page.get_by_label("NHS number", exact=True)).to_have_value("943 476 591")
    steps.assert_no_accessibility_violations(page, "patient search error at 375 px")
    assert steps.page_width(page) <= steps.PHONE["width"]

    page.get_by_label("NHS number", exact=True).fill("")
    search_by_keyboard(page, "Postcode", "zz99 9zz")
    expect(page.get_by_text("No patients match.")).to_be_visible()
    steps.assert_no_csp_violations(console_errors)
