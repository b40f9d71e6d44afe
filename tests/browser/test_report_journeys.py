"""Browser journeys for the equity dashboard: the breakdown, view and period change by htmx; the wait-gap chart
with its table, followed to its governance item; the printable report; axe and CSP."""
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.reporting import periods
from tests.browser import steps

pytestmark = pytest.mark.browser

def test_a_manager_changes_the_breakdown_and_the_view_without_a_page_load(page: Page, live_server, manager,
                                                                           console_errors):
    steps.sign_in_as(page, live_server, manager)
    steps.go_to(page, "Equity")
    expect(page.get_by_role("heading", level=1, name="Equity of access")).to_be_visible()
    table = page.get_by_role("table", name="Measures by imd quintile: rate (95% interval), numerator / denominator")
    expect(table.get_by_role("columnheader")).to_have_text(
        ["Measure", "1 (most deprived)", "2", "3", "4", "5 (least deprived)", "Not known"])
    page.evaluate("window.__marker = 1")
    page.get_by_label("Break down by", exact=True).select_option(label="Ethnic group")
    expect(page.get_by_role("heading", level=2, name="Ethnic group", exact=False)).to_be_visible()
    expect(page.get_by_role("table", name="Measures by ethnic group", exact=False).get_by_role("columnheader")
           .filter(has_text="Not stated")).to_have_count(1)
    page.get_by_label("View", exact=True).select_option(label="For sharing (counts of 1 to 7 shown as *)")
    expect(page.get_by_text("For sharing:", exact=False)).to_be_visible()
    assert page.evaluate("window.__marker") == 1, "the selectors swapped the tables, not the page"
    assert "segment=ethnic_group" in page.url, "the view is bookmarkable"
    steps.screenshot(page, "equity-dashboard")
    steps.assert_no_accessibility_violations(page, "equity-dashboard")
    steps.assert_no_csp_violations(console_errors)


LAST_MONTH = periods.months_back(datetime.now(UTC).astimezone(LONDON).strftime("%Y-%m"), 2)
MSK = "Musculoskeletal (MSK)"


@pytest.fixture
def wait_gap(live_server, manager) -> None:
    """Last month's MSK waits: a gap of 6 days between quintiles 1 and 5 of ten people each, and its governance
    item (the sweep's)."""
    from inclusive_access.domain import governance
    from inclusive_access.domain.actors import actor_for
    from tests.factories import JUDGED_Q1_WAITS, JUDGED_Q5_WAITS, make_user, wait_gap_month

    with live_server.app.app_context():
        wait_gap_month(db.session, actor_for(make_user(db.session, "clinician", "gap.clinician")), LAST_MONTH,
                       JUDGED_Q1_WAITS, JUDGED_Q5_WAITS)
        governance.open_item(db.session, "msk", LAST_MONTH, 6.0, 2.0, 2.0, breach=True, special_cause=False)
        db.session.commit()


def _traced(shown: str, quintile: int) -> re.Pattern:
    """A KPI cell whose n links to its waits: what it shows, then what the link tells a screen reader."""
    return re.compile(rf"^{re.escape(shown)}\s*\(referrals behind: Waits .*, IMD quintile {quintile}, "
                      rf"{re.escape(MSK)}, first contact in {LAST_MONTH}\)\s*\)$")


def test_the_wait_gap_chart_has_its_table_and_leads_to_the_governance_record(page: Page, live_server, wait_gap,
                                                                              manager, console_errors):
    steps.sign_in_as(page, live_server, manager)
    steps.go_to(page, "Equity")
    steps.page_is_ready(page)
    page.evaluate("window.__marker = 1")
    page.get_by_label("Pathway", exact=True).select_option(label=MSK)
    expect(page.get_by_role("img", name=f"Wait gap, quintile 1 minus quintile 5: {MSK}")).to_be_visible()
    page.get_by_label("Period", exact=True).select_option(label=date.fromisoformat(f"{LAST_MONTH}-01")
                                                         .strftime("%B %Y"))
    expect(page.get_by_role("heading", level=2, name=f"IMD quintile, {LAST_MONTH}, {MSK}")).to_be_visible()
    assert page.evaluate("window.__marker") == 1, "the period changed by htmx, not a page load"
    table = page.get_by_role("table", name=f"Wait gap by month: {MSK} (threshold 2 days;")
    row = table.get_by_role("row").filter(has=page.get_by_role("cell", name=LAST_MONTH, exact=True))
    expect(row.get_by_role("cell")).to_have_text([f"{LAST_MONTH}", _traced("12.0 (10", 1), _traced("6.0 (10", 5),
                                                  re.compile(r"^6\.0 \(-?\d+\.\d to \d+\.\d\)$"), "2.00",
                                                  "Above threshold Governance item for " f"{MSK}, {LAST_MONTH}"],
                                                 use_inner_text=True)
    steps.screenshot(page, "equity-wait-gap")
    steps.assert_no_accessibility_violations(page, "equity-wait-gap")

    row.get_by_role("link", name=f"Governance item for {MSK}, {LAST_MONTH}").click()
    expect(page.get_by_role("heading", level=1, name=f"Governance item: Wait gap, {MSK}, {LAST_MONTH}")).to_be_visible()
    page.get_by_label("Variance explanation", exact=True).fill("Two clinicians left; deprived areas lost evenings")
    page.get_by_label("Corrective action", exact=True).fill("Evening clinic at Chapeltown community centre")
    page.get_by_label("Named lead", exact=True).fill("Ama Mensah")
    due = datetime.now(UTC).astimezone(LONDON).date() + timedelta(days=30)
    page.get_by_label("Action due by", exact=True).fill(due.isoformat())
    page.get_by_label("Month to re-measure (YYYY-MM)", exact=True).fill(periods.months_back(LAST_MONTH, -2))
    page.get_by_role("button", name="Save the response").click()
    expect(page.get_by_text("Explanation and corrective action recorded.")).to_be_visible()
    expect(page.get_by_text("Shown when " + periods.months_back(LAST_MONTH, -2) + " has closed")).to_be_visible()
    steps.assert_no_accessibility_violations(page, "governance-item")

    page.goto(f"{live_server.url}/reports/equity/report?pathway=msk&period=m:{LAST_MONTH}")
    expect(page.get_by_role("heading", level=1, name=f"Equity of access report: {LAST_MONTH}, {MSK}")).to_be_visible()
    expect(page.get_by_role("img", name=f"Wait gap, quintile 1 minus quintile 5: {MSK}")).to_be_visible()
    expect(page.get_by_text("Evening clinic at Chapeltown community centre")).to_be_visible()
    steps.assert_no_accessibility_violations(page, "equity-report")
    steps.assert_no_csp_violations(console_errors)


def test_a_manager_follows_a_count_to_the_referrals_behind_it_and_on_to_their_events(page: Page, live_server,
                                                                                      wait_gap, manager,
                                                                                      console_errors):
    steps.sign_in_as(page, live_server, manager)
    page.goto(f"{live_server.url}/reports/equity?pathway=msk&period=m:{LAST_MONTH}")
    table = page.get_by_role("table", name=f"Wait gap by month: {MSK} (threshold 2 days;")
    table.get_by_role("link", name=re.compile(r"^10 \(referrals behind: Waits .*, IMD quintile 1,")).click()
    expect(page.get_by_role("heading", level=1, name="Referrals behind a figure")).to_be_visible()
    expect(page.get_by_text("10 waits, shortest first: the median falls at rank 5.5")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Referral \d+$"))).to_have_count(10)
    steps.screenshot(page, "equity-referrals-behind")
    steps.assert_no_accessibility_violations(page, "equity-referrals-behind")
    page.get_by_role("link", name=re.compile(r"^Events of referral \d+$")).first.click()
    expect(page.get_by_role("heading", level=1, name=re.compile("^Timeline: "))).to_be_visible()
    steps.assert_no_csp_violations(console_errors)
