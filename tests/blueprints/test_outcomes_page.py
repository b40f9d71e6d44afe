"""The outcomes page of the equity dashboard: for report readers only, completion first, every count traced to the
referrals behind it, and a shared view that hides small counts and links to no list."""
from datetime import UTC, datetime

import pytest

from inclusive_access.domain.access import REPORT_READERS
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.reporting import periods
from tests.blueprints.pages import open_page
from tests.blueprints.test_traceable import every_count_opened
from tests.conftest import ON_BOTH_DATABASES
from tests.factories import staff
from tests.reporting.outcome_history import add_outcome, discharged, urgent

LAST_MONTH = periods.months_back(datetime.now(UTC).astimezone(LONDON).strftime("%Y-%m"), 2)
PAGE = f"/reports/equity/outcomes?pathway=mental_health&period=m:{LAST_MONTH}"


def _on(day: int, hour: int = 11) -> datetime:
    return datetime.fromisoformat(f"{LAST_MONTH}-{day:02d}T{hour:02d}:00+00:00")


@pytest.fixture
def history(app):
    """Last month in mental health, IMD quintile 1: two discharged with PHQ-9 at both points (20 -> 12 improved,
    18 -> 15 not), one with an urgent contact 8 days after referral; quintile 5: one discharged with no follow-up."""
    with app.app_context():
        clinician, senior = staff(db.session, "clinician"), staff(db.session, "senior")
        answers = (((_on(3), 20), (_on(20), 12)), ((_on(3), 18), (_on(20), 15)), ((_on(3), 16), None))
        made = []
        for decile, (baseline, followup) in zip(("1", "2", "9"), answers, strict=True):
            referral = discharged(db.session, clinician, senior, f"{LAST_MONTH}-02 09:00", _on(20, 12),
                                  imd_decile=decile)
            add_outcome(db.session, clinician, referral, "phq9", baseline, followup)
            made.append(referral)
        urgent(db.session, clinician, made[0], _on(10).date())
        db.session.commit()


@pytest.mark.parametrize("role", sorted(REPORT_READERS))
def test_report_readers_see_completion_first_and_no_data_where_none_was_counted(client, login_as, history, role):
    login_as(role)
    page = open_page(client, PAGE, "Outcomes by deprivation, ethnicity and need")
    assert "<caption class=\"nhsuk-table__caption\">Patient Health Questionnaire (PHQ-9) by IMD quintile" in page
    assert page.index("Baseline and follow-up answered") < page.index("Mean change, follow-up minus baseline")
    assert "positive is better" in page
    assert "No data" in page, "quintile 5 has no follow-up: no change, not 0"


@ON_BOTH_DATABASES
def test_every_count_opens_the_referrals_behind_it(client, login_as, history):
    login_as("senior")
    traced = every_count_opened(client, PAGE)
    urls = " ".join(url for url, _count, _what in traced)
    for figure in ("outcome_with_both", "outcome_improved", "urgent_after_referral", "instrument=phq9"):
        assert figure in urls, figure
    listed = open_page(client, next(url for url, _c, _w in traced if "figure=outcome_improved" in url))
    assert "Patient Health Questionnaire (PHQ-9)" in listed
    assert "Back to the outcomes" in listed


def test_the_shared_view_hides_small_counts_and_links_to_no_list(client, login_as, history):
    login_as("manager")
    page = open_page(client, f"{PAGE}&shared=yes")
    assert "* marks a count of 1 to 7" in page
    assert "/reports/equity/referrals" not in page
    assert "n = *" in page


def test_the_dashboard_links_to_the_outcomes(client, login_as):
    login_as("auditor")
    assert 'href="/reports/equity/outcomes?' in open_page(client, "/reports/equity?segment=sex")


@ON_BOTH_DATABASES
def test_the_csv_export_is_always_suppressed_for_sharing(client, login_as, history):
    login_as("manager")
    response = client.get(PAGE.replace("/outcomes?", "/outcomes/export?"))
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="outcomes-imd_quintile-{LAST_MONTH}-to-{LAST_MONTH}.csv"')
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "IMD quintile,questionnaire,measure,numerator,denominator,value,lower_95,upper_95"
    assert ("1 (most deprived),Patient Health Questionnaire (PHQ-9),Reached the minimal important change,*,*,,,"
            in lines), "1 of 2: hidden, with no rate"
    assert "/reports/equity/referrals" not in response.get_data(as_text=True)
