"""The equity of reach page: for report readers only, linked from the dashboard, messages per status for everyone
and by segment, format and addressee, DNA rates reminded and not; a shared view, a CSV and a printable version that
hide small counts."""
import re
from datetime import UTC, datetime

import pytest

from inclusive_access.domain.access import REPORT_READERS
from inclusive_access.extensions import db
from tests import reach_factories as rf
from tests.blueprints.pages import cells, open_page, visible
from tests.conftest import ON_BOTH_DATABASES
from tests.factories import staff

JUNE = "period=custom&first=2026-06&last=2026-06"
PAGE = f"/reports/equity/reach?{JUNE}"
HEADING = "Equity of reach: messages and reminders"


@pytest.fixture
def june(app):
    """In quintile 1, June 2026: an attended appointment whose reminder text was delivered the day before, and a
    missed one whose reminder was withheld."""
    with app.app_context():
        clinician = staff(db.session, "clinician", "reach.clinician")
        for day, outcome, status in ((8, "attended", "delivered"), (9, "dna", "withheld")):
            referral = rf.referral(db.session, clinician, "1")
            booked = rf.appointment(db.session, clinician, referral, datetime(2026, 6, day, 9, tzinfo=UTC), outcome)
            rf.reminder(db.session, booked, status=status)
        db.session.commit()


def _table(page: str, caption: str) -> str:
    start = page.index(f'<caption class="nhsuk-table__caption">{caption}')
    return page[start:page.index("</table>", start)]


@pytest.mark.parametrize("role", sorted(REPORT_READERS))
def test_report_readers_see_messages_and_dna_rates_reminded_and_not(client, login_as, june, role):
    login_as(role)
    page = open_page(client, PAGE, HEADING)
    # messages, waiting, sent, delivered, failed, withheld; then the shares delivered, failed, withheld
    assert [c.split()[-3:] if "/" in c else c for c in cells(_table(page, "All messages"))] == [
        "2", "0", "0", "1", "0", "1", ["1", "/", "2"], ["0", "/", "2"], ["1", "/", "2"]]
    quintile_1 = _table(page, "Appointments that took place by imd quintile")
    row = quintile_1[quintile_1.index("1 (most deprived)"):]
    assert [c.split()[-3:] for c in cells(row)][:2] == [["0", "/", "1"], ["1", "/", "1"]], "reminded; not"
    for caption in ("Messages by format", "Messages by whom they were addressed to"):
        assert caption in page


def test_the_dashboard_links_to_the_page_with_its_selectors(client, login_as):
    login_as("manager")
    page = open_page(client, f"/reports/equity?{JUNE}&segment=ethnic_group")
    link = re.search(r'href="(/reports/equity/reach\?[^"]*)">Equity of reach', page)
    assert link, "the dashboard links to the page"
    assert ("first=2026-06" in link.group(1), "segment=ethnic_group" in link.group(1)) == (True, True)


@ON_BOTH_DATABASES
def test_the_shared_view_and_the_csv_hide_small_counts(client, login_as, june):
    login_as("manager")
    page = visible(open_page(client, f"{PAGE}&shared=yes"))
    assert ("* / *" in page, "50.0%" in page) == (True, False)
    response = client.get(f"/reports/equity/reach/export?{JUNE}&segment=flag_deprivation")
    assert (response.status_code, response.mimetype) == (200, "text/csv")
    assert "reach-flag_deprivation-2026-06-to-2026-06.csv" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("table,group,measure,numerator,denominator")
    assert "Messages,All messages,Messages,*," in text
    assert "DNA rates by Flag: Deprivation (IMD quintile 1),Flagged,\"DNA rate, not reminded\",*,*" in text


def test_the_print_view_is_always_shared_and_linked_to_its_print_styles(client, login_as, june):
    login_as("auditor")
    page = open_page(client, f"/reports/equity/reach/print?{JUNE}&segment=imd_quintile",
                     "Equity of reach: 2026-06")
    assert re.search(r'<link rel="stylesheet" media="print" href="[^"]*print\.css"', page)
    assert 'class="app-no-print"' in page, "the back link and print hint are left off the paper"
    assert "<details class=\"nhsuk-details\" open>" in page, "how it was counted is printed open"
    assert cells(_table(page, "All messages"))[0] == "*"
    assert "50.0%" not in visible(page)
