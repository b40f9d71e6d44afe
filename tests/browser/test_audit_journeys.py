"""Browser journey for the auditor: draw a sample of adjustments, judge three records, read the summary, open a
record's timeline and who viewed it, verify the whole log; axe and CSP on every new page."""
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from tests.browser import steps
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

AUDITOR = "browser.auditor"
THIS_MONTH = datetime.now(UTC).astimezone(LONDON).strftime("%Y-%m")


@pytest.fixture
def adjustments_to_audit(live_server) -> None:
    """An auditor, and a reasonable adjustment on each of the first four seeded patients, recorded this month."""
    from inclusive_access.models import Referral
    from tests.blueprints.records import record_adjustment
    from tests.factories import make_user, staff

    with live_server.app.app_context():
        make_user(db.session, role="auditor", username=AUDITOR)
        clinician = staff(db.session, "clinician", "audit.clinician")
        for number, referral_id in enumerate(live_server.referral_ids[:4]):
            patient = db.session.get(Referral, referral_id).patient
            record_adjustment(db.session, clinician, patient, description=f"Afternoons, request {number + 1}")
        db.session.commit()


def sign_in_as_the_auditor(page: Page, server) -> None:
    page.goto(f"{server.url}/auth/login")
    page.get_by_label("Username", exact=True).fill(AUDITOR)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def judge(page: Page, answers: list[str], note: str) -> None:
    """Answer each checklist item in order (by keyboard: focus the answer, Space) and save."""
    steps.page_is_ready(page)
    for group, answer in zip(page.get_by_role("group").filter(has=page.get_by_role("radio")).all(), answers,
                             strict=True):
        radio = group.get_by_role("radio", name=answer, exact=True)
        radio.focus()
        page.keyboard.press("Space")
        expect(radio).to_be_checked()
    page.get_by_label("Note (optional)", exact=True).fill(note)
    page.get_by_role("button", name="Save the finding").click()
    expect(page.get_by_text("Finding recorded.")).to_be_visible()


def test_an_auditor_samples_adjustments_judges_three_and_reads_the_summary_and_a_timeline(
        page: Page, live_server, adjustments_to_audit, console_errors):
    sign_in_as_the_auditor(page, live_server)
    steps.go_to(page, "Audit")
    expect(page.get_by_role("heading", level=1, name="Audit samples")).to_be_visible()
    page.get_by_role("button", name="Draw a sample").click()
    expect(page.get_by_role("heading", level=1, name="Draw an audit sample")).to_be_visible()
    assert page.get_by_label("Seed", exact=True).input_value().isdigit(), "a seed is offered"
    page.get_by_role("button", name="Draw the sample").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    steps.assert_no_accessibility_violations(page, "audit-new-sample-errors")
    steps.forget_the_expected_400(console_errors, page.url)

    page.get_by_label("Records to sample", exact=True).select_option(label="Reasonable adjustments")
    page.get_by_label("From (month)", exact=True).fill(THIS_MONTH)
    page.get_by_label("To (month)", exact=True).fill(THIS_MONTH)
    page.get_by_label("Sample size", exact=True).fill("3")
    page.get_by_label("Seed", exact=True).fill("2026")
    page.get_by_role("button", name="Draw the sample").click()
    expect(page.get_by_text("Sample drawn: 3 of 4 records.")).to_be_visible()
    expect(page.get_by_role("heading", level=1, name="Reasonable adjustments", exact=False)).to_be_visible()
    steps.assert_no_accessibility_violations(page, "audit-sample")

    page.get_by_role("link", name="Record 1", exact=False).click()
    expect(page.get_by_role("heading", level=1, name="record 1 of 3", exact=False)).to_be_visible()
    expect(page.get_by_role("table", name="Timeline")).to_be_visible()
    steps.screenshot(page, "audit-record")
    steps.assert_no_accessibility_violations(page, "audit-record")
    judge(page, ["Compliant", "Compliant", "Not applicable", "Compliant"], "Banner shows it")
    judge(page, ["Compliant", "Partly compliant", "Not applicable", "Compliant"], "Not on the worklist row")
    judge(page, ["Compliant", "Not compliant", "Not applicable", "Compliant"], "<script>alert(1)</script>")

    expect(page.get_by_role("heading", level=1, name="summary", exact=False)).to_be_visible()
    table = page.get_by_role("table", name="Compliance per checklist item")
    flagged = table.get_by_role("row").filter(has_text="Shown wherever the patient appears")
    expect(flagged).to_contain_text("33% (")
    expect(flagged).to_contain_text("1 / 1 / 1 / 0")
    expect(table.get_by_role("row").filter(has_text="Met at each appointment")).to_contain_text("No judged records")
    steps.assert_no_accessibility_violations(page, "audit-summary")

    page.get_by_role("link", name="Back to the sample").click()
    page.get_by_role("link", name="Record 3", exact=False).click()
    expect(page.get_by_role("heading", name="Revise the finding")).to_be_visible()
    expect(page.get_by_label("Note (optional)", exact=True)).to_have_value("<script>alert(1)</script>")
    page.get_by_role("link", name="Patient timeline").click()
    expect(page.get_by_role("heading", level=1, name="Timeline: all referrals")).to_be_visible()
    expect(page.get_by_text("Chain verifies")).to_be_visible()
    page.get_by_label("Action", exact=True).select_option("audit.finding_recorded")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("1 event of action audit.finding_recorded.")).to_be_visible()
    steps.assert_no_accessibility_violations(page, "audit-timeline")
    page.get_by_role("link", name="Who viewed this patient").click()
    expect(page.get_by_role("table", name="Views of this patient's record").get_by_role("row")
           .filter(has_text=AUDITOR).first).to_be_visible()
    steps.assert_no_accessibility_violations(page, "audit-patient-access")

    page.goto(f"{live_server.url}/audit/log")
    steps.page_is_ready(page)
    page.get_by_role("button", name="Verify the whole log").click()
    expect(page.get_by_text("The log verifies")).to_be_visible()
    steps.assert_no_accessibility_violations(page, "audit-log-verified")
    steps.assert_no_csp_violations(console_errors)
