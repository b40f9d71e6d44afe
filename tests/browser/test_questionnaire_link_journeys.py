"""A patient answers a questionnaire on their phone (375 px) through a link booking staff sent: in plain English and
in easy read, with no accessibility violations, thanked at the end; opened again, the link shows nothing."""
import pytest
from playwright.sync_api import Page, expect

from tests.browser import steps

pytestmark = pytest.mark.browser

EXPERIENCE = "Your experience of our service"
#: legend -> answer, in plain English and in easy read
PLAIN = {"Overall, how was your experience of our service?": "Very good",
         "Could you understand the information we gave you?": "Some of it"}
EASY_READ = {"Overall, how was our service for you?": "Very good",
             "Did you understand what we told you?": "Some of it",
             "Did we ask how you like us to contact you and give you information?": "Yes",
             "Did you get the help you needed to talk with us, like an interpreter or easy read?":
                 "I did not need support"}


def send_a_link_from_the_referral_page(page: Page, server) -> str:
    """Booking staff make a link to the experience questionnaire, in plain English: its address."""
    steps.sign_in_as(page, server)
    page.goto(f"{server.url}/referrals/{server.referral_ids[0]}")
    page.get_by_role("link", name="Send a questionnaire link").click()
    expect(page.get_by_role("heading", level=1, name="Send a questionnaire link")).to_be_visible()
    assert_fits_a_phone(page, "questionnaire-link-form")
    page.get_by_label("Questionnaire", exact=True).select_option(label=EXPERIENCE)
    page.get_by_label("At discharge").check()
    page.get_by_label("Plain English").check()
    page.get_by_role("button", name="Make the link").click()
    expect(page.get_by_role("heading", name="Give the patient this link")).to_be_visible()
    assert_fits_a_phone(page, "questionnaire-link-made")
    return page.get_by_label("Link for Alys to answer", exact=False).input_value()


def answer(page: Page, answers: dict[str, str]) -> None:
    for question, choice in answers.items():
        page.get_by_role("group", name=question).get_by_label(choice, exact=True).check()


def assert_fits_a_phone(page: Page, name: str) -> None:
    page.wait_for_load_state("load")
    steps.screenshot(page, name)
    assert steps.page_width(page) <= steps.PHONE["width"], f"{name} is wider than the phone"
    steps.assert_no_accessibility_violations(page, name)


def test_a_patient_answers_on_their_phone_in_easy_read_and_the_used_link_shows_nothing(page: Page, live_server,
                                                                                      console_errors):
    page.set_viewport_size(steps.PHONE)
    link = send_a_link_from_the_referral_page(page, live_server)
    page.context.clear_cookies()  # the patient's phone: signed in nowhere

    page.goto(link)
    expect(page.get_by_role("heading", level=1, name=EXPERIENCE)).to_be_visible()
    expect(page.get_by_text("Hello Alys.")).to_be_visible()
    expect(page.get_by_role("link", name="Referrals")).to_have_count(0)
    assert_fits_a_phone(page, "questionnaire-link-plain")
    answer(page, PLAIN)

    steps.page_is_ready(page)
    page.get_by_role("link", name="Show easy read questions, in simpler words").click()
    expect(page.get_by_role("group", name="Did you understand what we told you?")).to_be_visible()
    assert_fits_a_phone(page, "questionnaire-link-easy-read")
    answer(page, {question: choice for question, choice in EASY_READ.items() if "understand" not in question})
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("link", name="Choose an answer: Did you understand what we told you?")).to_be_visible()
    assert_fits_a_phone(page, "questionnaire-link-easy-read-with-errors")
    answer(page, {"Did you understand what we told you?": "Some of it"})
    page.get_by_role("button", name="Send my answers").click()

    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(page.get_by_text("Your care team will look at your answers.")).to_be_visible()
    assert_fits_a_phone(page, "questionnaire-link-thanks")

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link has expired or has already been used")
    body = page.locator("body").inner_text()
    assert "Alys" not in body
    assert EXPERIENCE not in body
    assert "Some of it" not in body
    assert_fits_a_phone(page, "questionnaire-link-used")
    # the re-shown form (400) and the used link (404) are logged as failed loads: answers, not faults
    console_errors[:] = [m for m in console_errors if not ("status of 400" in m or "status of 404" in m)]
    steps.assert_no_csp_violations(console_errors)
