"""The outreach evidence page of the equity dashboard: for report readers only, each measure for everyone and by the
breakdown chosen, and a shared view and CSV that hide small counts."""
from datetime import UTC, datetime

import pytest

from inclusive_access.domain.access import REPORT_READERS
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.reporting import outreach, periods
from tests.blueprints.pages import cells, open_page, visible
from tests.conftest import ON_BOTH_DATABASES
from tests.reporting.outreach_history import Outreach

#: long enough ago that everyone's 90 days after a first contact are over
MONTH = periods.months_back(datetime.now(UTC).astimezone(LONDON).strftime("%Y-%m"), 5)
PAGE = f"/reports/equity/outreach?period=custom&first={MONTH}&last={MONTH}"


def _on(day: int, hour: int = 13) -> datetime:
    return datetime.fromisoformat(f"{MONTH}-{day:02d}T{hour:02d}:30").replace(tzinfo=LONDON).astimezone(UTC)


@pytest.fixture
def history(app):
    """One venue: a linked person seen on the 2nd and again on the 9th, the day their follow-up was planned for,
    and a record not linked to anyone."""
    with app.app_context():
        o = Outreach(db.session)
        venue = o.venue()
        referral = o.patient("1", received_at=f"{MONTH}-01 09:00")
        o.seen(venue, _on(2), f"{MONTH}-09", referral)
        o.seen(venue, _on(9), referral=referral)
        o.seen(venue, _on(2, 15))
        db.session.commit()
        return venue.name


@pytest.mark.parametrize("role", sorted(REPORT_READERS))
def test_report_readers_see_each_measure_for_everyone_and_by_venue(client, login_as, history, role):
    login_as(role)
    page = open_page(client, f"{PAGE}&breakdown=venue", "Outreach: the cohort's evidence")
    for measure in outreach.MEASURES:
        assert measure.label in page, measure.label
    everyone = [cell.split()[-3:] for cell in cells(page[page.index("Everyone seen at outreach"):
                                                           page.index("By venue")])]
    # seen again, on time, urgent care, a concern, a positive screen; then records, people linked and not, and
    # follow-ups due on records not linked (it planned none)
    assert everyone == [["1", "/", "1"], ["1", "/", "1"], ["0", "/", "1"], ["0", "/", "1"], ["0", "/", "3"],
                        ["3"], ["1"], ["1"], ["0"]]
    assert f"{history} (" in page, "each venue is named with its partner"


@ON_BOTH_DATABASES
def test_the_shared_view_and_the_csv_hide_small_counts(client, login_as, history):
    login_as("manager")
    page = visible(open_page(client, f"{PAGE}&shared=yes"))
    assert ("* / *" in page, "100.0%" in page) == (True, False)
    response = client.get(f"/reports/equity/outreach/export?period=custom&first={MONTH}&last={MONTH}")
    assert (response.status_code, response.mimetype) == (200, "text/csv")
    text = response.get_data(as_text=True)
    assert text.startswith("Partner,measure,numerator,denominator")
    assert "All outreach,Seen again within 90 days of first contact,*,*" in text


def test_the_dashboard_leads_to_it(client, login_as):
    login_as("senior")
    assert "/reports/equity/outreach" in open_page(client, "/reports/equity")


def test_a_period_with_nobody_seen_says_so(client, login_as):
    login_as("auditor")
    page = open_page(client, f"{PAGE}&breakdown=partner")
    assert "Nobody was seen at outreach in this period." in page
    assert "No data" in page
