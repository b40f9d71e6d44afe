"""Intake for a patient on file: chosen from the NHS-number lookup, details prefilled, only changes asked for."""
import pytest
from playwright.sync_api import Page, expect

from inclusive_access.domain import organisations
from inclusive_access.domain.actors import SYSTEM
from inclusive_access.extensions import db
from inclusive_access.models import Patient
from tests.browser import steps

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [375, 1280])
def test_a_clerk_refers_a_patient_on_file_changing_only_their_language(page: Page, live_server, console_errors,
                                                                       width):
    page.set_viewport_size({"width": width, "height": 900})
    with live_server.app.app_context():
        nhs_number = db.session.get(Patient, 1).nhs_number
    steps.sign_in_as(page, live_server, live_server.username)
    steps.go_to(page, "New referral")
    steps.page_is_ready(page)
    page.get_by_label("NHS number", exact=True).fill(nhs_number)
    page.keyboard.press("Tab")  # leaving the box looks the number up
    page.get_by_role("link", name="Refer Alys PLAIN with their details on file").click()
    expect(page.get_by_role("heading", level=1, name="New referral for a patient on file")).to_be_visible()
    expect(page.get_by_label("Given name", exact=True)).to_have_value("Alys")
    steps.assert_no_accessibility_violations(page, f"refer-a-patient-on-file-{width}")
    assert steps.page_width(page) <= width

    page.get_by_text("Change the patient's details", exact=True).click()
    page.get_by_label("Preferred language (optional)").fill("Welsh")
    page.get_by_label("Pathway", exact=True).select_option(label="Community frailty and discharge support")
    page.get_by_label("Referrer's name", exact=True).fill("Dr Example")
    page.get_by_label("Referrer's organisation", exact=True).fill("Test Surgery")
    page.get_by_label("Referrer's telephone or email", exact=True).fill("0113 496 0000")
    page.get_by_label("Reason for referral", exact=True).fill("Falls at home")
    page.get_by_role("button", name="Save referral").click()
    expect(page.get_by_text("Linked to the existing record for this NHS number.")).to_be_visible()
    expect(page.get_by_text("Inequality flags: Language need.")).to_be_visible()
    steps.assert_no_csp_violations(console_errors)


def test_a_clerk_finds_the_referrers_practice_and_it_fills_in_its_code_and_name(page: Page, live_server,
                                                                                console_errors):
    with live_server.app.app_context():
        row = organisations.OdsRow("Y99901", "THE EXAMPLE SURGERY", "LS1 4AP", None, None)
        organisations.load(db.session, SYSTEM, [row], "gp_practice", "epraccur.csv", organisations.LoadReport())
        db.session.commit()
    steps.sign_in_as(page, live_server, live_server.username)
    steps.go_to(page, "New referral")
    steps.page_is_ready(page)
    page.get_by_label("Find the referrer's organisation").fill("example sur")
    choose = page.get_by_role("button", name="Use Y99901: THE EXAMPLE SURGERY, LS1 4AP")
    choose.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Referrer's organisation ODS code (optional)")).to_have_value("Y99901")
    expect(page.get_by_label("Referrer's organisation", exact=True)).to_have_value("THE EXAMPLE SURGERY")
    expect(page.get_by_label("Referrer's organisation", exact=True)).to_be_focused()
    steps.assert_no_accessibility_violations(page, "intake-organisation-search")
    steps.assert_no_csp_violations(console_errors)
