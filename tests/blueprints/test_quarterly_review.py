"""The quarterly equity review: for the roles that read reports, each KPI's gaps by month of the quarter and over
four quarters against its threshold, and the governance items the sweep opened with their plans and leads, laid out
for print; refused to the other roles."""
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from inclusive_access.domain import governance
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.governance import Plan
from inclusive_access.domain.policy import Policy
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.models import GovernanceItem
from inclusive_access.reporting import governance_sweep, periods
from tests.blueprints.pages import cells, open_page, row_naming, visible
from tests.factories import JUDGED_Q1_WAITS, JUDGED_Q5_WAITS, make_user, staff, wait_gap_month
from tests.reporting.improvement_history import improvement_month

NOW = datetime.now(UTC)
THIS_MONTH = NOW.astimezone(LONDON).strftime("%Y-%m")
#: the last quarter to have closed, which the review shows by default, and its months
REVIEWED = periods.quarters_to(periods.quarter_of(THIS_MONTH), 2)[0]
FIRST, SECOND, THIRD = periods.quarter_months(REVIEWED)
NAME = f"Quarter {REVIEWED[-1]} {REVIEWED[:4]}"
URL = "/reports/governance/quarterly-review"


@pytest.fixture
def reviewed(app):
    """The quarter's first month: a wait gap of 6 days on ten people at each end; its second: an improvement gap of
    30 points (8 of 20 improved in quintile 1, 14 of 20 in quintile 5); the sweep opens an item for each, and a
    manager answers the improvement gap's. An item closed long before the quarter is not about it."""
    with app.app_context():
        wait_gap_month(db.session, actor_for(make_user(db.session, "clinician")), FIRST, JUDGED_Q1_WAITS,
                       JUDGED_Q5_WAITS)
        improvement_month(db.session, SECOND)
        old = governance.open_item(db.session, "msk", "2024-01", 3.0, 1.5, 2.0, breach=True, special_cause=False,
                                   now=datetime(2024, 2, 2, tzinfo=UTC))
        manager = staff(db.session, "manager")
        governance.record_plan(db.session, manager, old, old.version, Plan(
            "Old cause", "Old action", "Old Lead", date(2024, 3, 1), "2024-02"), now=datetime(2024, 2, 3, tzinfo=UTC))
        governance.close_item(db.session, manager, old, old.version, "Old closure", 1.0,
                              now=datetime(2024, 3, 5, tzinfo=UTC))
        assert governance_sweep.sweep(db.session, Policy(), NOW) == 2
        item = db.session.query(GovernanceItem).filter_by(kpi="improvement_gap").one()
        governance.record_plan(db.session, manager, item, item.version, Plan(
            "Follow-up calls missed people without phone credit", "Free-phone follow-up line", "Ama Mensah",
            NOW.astimezone(LONDON).date() + timedelta(days=30), THIS_MONTH))
        db.session.commit()


def section(page: str, kpi: str) -> str:
    """One KPI's part of the review."""
    start = page.index(f'<section class="app-review__kpi" aria-labelledby="kpi-{kpi}">')
    return page[start:page.index("</section>", start)]


def msk_row(page: str, caption: str) -> list[str]:
    """The cells of MSK's row in the table captioned `caption`, as a sighted reader sees them (on a narrow screen
    each with its column's name)."""
    table = page[page.index(f">{caption}</caption>"):]
    return cells(row_naming(table[:table.index("</table>")], "Musculoskeletal (MSK)"))


@pytest.mark.parametrize("role", ["manager", "senior", "auditor"])
def test_the_review_gives_each_gap_by_month_against_its_threshold(client, login_as, reviewed, role):
    login_as(role)
    page = open_page(client, URL, f"Quarterly equity review: {NAME}")
    assert msk_row(page, f"The wait gap by month, {NAME}, in days") == [
        f"{FIRST} 6.0, above threshold (quintile 1: 10, quintile 5: 10)", f"{SECOND} No first contacts",
        f"{THIRD} No first contacts", "Threshold 2"]
    assert msk_row(page, f"The improvement gap by month, {NAME}, in percentage points") == [
        f"{FIRST} No follow-ups", f"{SECOND} 30.0, above threshold (quintile 1: 20, quintile 5: 20)",
        f"{THIRD} No follow-ups", "Threshold 10"]


def test_the_trend_pools_each_of_the_last_four_quarters(client, login_as, reviewed):
    login_as("manager")
    page = open_page(client, URL)
    earlier = periods.quarters_to(REVIEWED, 4)[:3]
    assert msk_row(page, "The improvement gap over the last four quarters, each quarter's people together, in "
                         "percentage points") == [
        *(f"{quarter} No follow-ups" for quarter in earlier),
        f"{REVIEWED} 30.0, above threshold (quintile 1: 20, quintile 5: 20)", "Threshold 10"]
    assert msk_row(page, "The wait gap over the last four quarters, each quarter's people together, in days")[3] == (
        f"{REVIEWED} 6.0, above threshold (quintile 1: 10, quintile 5: 10)")


def test_the_review_lists_each_kpis_governance_items_with_plans_and_leads(client, login_as, reviewed):
    login_as("senior")
    page = open_page(client, URL)
    wait, improvement = (visible(section(page, kpi)) for kpi in ("wait_gap", "improvement_gap"))
    assert f"Musculoskeletal (MSK), {FIRST}" in wait
    assert "No response recorded yet" in wait
    assert f"Musculoskeletal (MSK), {SECOND}" in improvement
    assert "Follow-up calls missed people without phone credit" in improvement
    assert "Action: Free-phone follow-up line" in improvement
    assert "Ama Mensah, by" in improvement
    assert "Old Lead" not in page, "closed long before the quarter"


def test_the_review_prints_with_its_own_stylesheet_and_no_inline_style(client, login_as, reviewed):
    login_as("auditor")
    page = open_page(client, URL)
    assert '<link rel="stylesheet" media="print" href="/static/print.css">' in page
    assert not re.search(r"<[^>]+\sstyle=", page)
    assert page.count('<caption class="nhsuk-table__caption">') == 6, "two gap tables and the items' for each KPI"
    assert client.get("/static/print.css").status_code == 200


def test_another_quarter_can_be_chosen_and_one_not_offered_shows_the_default(client, login_as, reviewed):
    login_as("senior")
    earlier = periods.quarters_to(REVIEWED, 2)[0]
    page = open_page(client, f"{URL}?quarter={earlier}", f"Quarterly equity review: Quarter {earlier[-1]} "
                                                         f"{earlier[:4]}")
    assert "Free-phone follow-up line" not in page, "an item about a later quarter, opened after this one"
    open_page(client, f"{URL}?quarter=1999-Q1", f"Quarterly equity review: {NAME}")


@pytest.mark.parametrize("role", ["booking", "clinician"])
def test_frontline_roles_may_not_see_the_review(client, login_as, role):
    login_as(role)
    assert client.get(URL).status_code == 403
