"""The equity dashboard and its CSV export: selectors, fragments for htmx, suppression, bad input, roles."""
import csv
import io
import re
from datetime import UTC, datetime

import pytest

from inclusive_access.domain import appointments, governance, triage
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.policy import Policy
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.reporting import governance_sweep, kpi, periods, tables
from tests.blueprints.pages import cells, visible
from tests.conftest import ON_BOTH_DATABASES
from tests.factories import (
    JUDGED_Q1_WAITS,
    JUDGED_Q5_WAITS,
    SCRIPT,
    accept_and_book,
    make_referral,
    make_user,
    wait_gap_month,
)

THIS_MONTH = datetime.now(UTC).astimezone(LONDON).strftime("%Y-%m")


@pytest.fixture
def referrals(app):
    """Referrals received an hour ago: 9 in IMD quintile 1, 12 in quintile 2, one in quintile 5 (no ethnicity)."""
    with app.app_context():
        for _ in range(9):
            make_referral(db.session, imd_decile="1", ethnic_category="H")
        for _ in range(12):
            make_referral(db.session, imd_decile="3", ethnic_category="A")
        make_referral(db.session, imd_decile="10", ethnic_category="Z")
        db.session.commit()


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_the_dashboard_opens_on_this_month_by_imd_quintile(client, login_as, referrals):
    login_as("manager")
    response = client.get("/reports/equity")
    assert response.status_code == 200
    page = _text(response)
    assert "<h1>Equity of access</h1>" in page
    assert f"IMD quintile, {THIS_MONTH}</h2>" in page
    for label in ("1 (most deprived)", "5 (least deprived)", "Not known", "DNAs rebooked within 14 days",
                  "Referral to first contact: median days", "Data completeness"):
        assert label in page, label
    assert "HX-Request" in response.headers["Vary"]


def test_a_selector_change_by_htmx_gets_the_tables_only(client, login_as, referrals):
    login_as("auditor")
    response = client.get("/reports/equity?segment=ethnic_group", headers={"HX-Request": "true"})
    body = _text(response)
    assert "<html" not in body
    assert "Ethnic group, " in body
    assert "Not stated" in body
    assert "Not known" in body
    restored = client.get("/reports/equity?segment=ethnic_group",
                          headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in _text(restored), "a history restore gets the whole page"


def test_the_shared_view_suppresses_small_counts(client, login_as, referrals):
    login_as("senior")
    internal = _text(client.get("/reports/equity?segment=imd_quintile", headers={"HX-Request": "true"}))
    shared = _text(client.get("/reports/equity?segment=imd_quintile&shared=yes", headers={"HX-Request": "true"}))
    assert "For sharing:" in shared
    assert "For sharing:" not in internal
    received_row = shared[shared.index("Referrals received"):].split("</tr>")[0]
    assert '<td class="nhsuk-table__cell">*</td>' in received_row
    assert cells(internal[internal.index("Referrals received"):].split("</tr>")[0])[0] == "9"


@pytest.mark.parametrize("query", ["period=zzz", "segment=bogus", "first=2026-13&period=custom",
                                   "pathway=nowhere", "shared=maybe", "period=custom"])
def test_bad_selectors_show_the_default_view_not_an_error(client, login_as, referrals, query):
    login_as("manager")
    response = client.get(f"/reports/equity?{query}")
    assert response.status_code == 200
    assert "IMD quintile, " in _text(response)


def test_a_custom_range_the_wrong_way_round_says_so(client, login_as, referrals):
    login_as("manager")
    response = client.get("/reports/equity?period=custom&first=2026-06&last=2026-01")
    assert "The first month must not be after the last" in _text(response)


def test_the_csv_export_is_always_suppressed_and_a_download(client, login_as, referrals):
    login_as("auditor")
    response = client.get("/reports/equity/export?segment=imd_quintile")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="equity-imd_quintile-')
    lines = _text(response).splitlines()
    assert lines[0].startswith("IMD quintile,measure,numerator")
    assert "5 (least deprived),Referrals received,*,,,," in lines, "1 referral is shown as *"
    assert "2,Referrals received,*,,,," in lines, "the total would reveal a lone *: 12 hides too"


# -- the equity KPI, its chart and table, and the printable report ---------------------------------------------

LAST_MONTH = periods.months_back(THIS_MONTH, 2)


@pytest.fixture
def gap_history(app):
    """Last month in MSK: ten people's first contacts in IMD quintile 1 and ten in quintile 5 (medians 12 and 6: a
    gap of 6 days, above the threshold of 2), and that month's governance item."""
    with app.app_context():
        wait_gap_month(db.session, actor_for(make_user(db.session, "clinician")), LAST_MONTH,
                       JUDGED_Q1_WAITS, JUDGED_Q5_WAITS)
        item = governance.open_item(db.session, "msk", LAST_MONTH, 6.0, 2.0, 2.0, breach=True, special_cause=False)
        db.session.commit()
        return item.id


@pytest.fixture
def too_few(app):
    """Last month in MSK: the same gap on three people in quintile 1 and two in quintile 5."""
    with app.app_context():
        wait_gap_month(db.session, actor_for(make_user(db.session, "clinician")), LAST_MONTH)
        db.session.commit()


def _judged_month(app) -> kpi.GapMonth:
    """gap_history's month as the KPI computes it (its interval is checked against a fresh computation in
    tests/domain/test_governance.py)."""
    with app.app_context():
        return kpi.gap_for(db.session, "msk", LAST_MONTH, Policy())


def _kpi_row(page: str) -> str:
    """Last month's row of the MSK wait gap table, as a sighted reader sees it."""
    return visible(_kpi_row_html(page))


def _kpi_row_html(page: str) -> str:
    table = page[page.index("Wait gap by month: Musculoskeletal (MSK) (threshold 2 days;"):].split("</table>")[0]
    return table[table.index(f"<td class=\"nhsuk-table__cell\">{LAST_MONTH}</td>"):].split("</tr>")[0]


def test_the_kpi_chart_comes_with_its_numbers_and_links_the_months_governance_item(app, client, login_as,
                                                                                   gap_history):
    login_as("auditor")
    page = _text(client.get(f"/reports/equity?pathway=msk&period=m:{LAST_MONTH}"))
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="app-spc-chart"' in page
    assert 'aria-labelledby="gap-msk-title gap-msk-desc"' in page
    assert "<title id=\"gap-msk-title\">Wait gap, quintile 1 minus quintile 5: Musculoskeletal (MSK)</title>" in page
    assert "judged when each end has at least 10 people" in page
    row = _kpi_row(page)
    month = _judged_month(app)
    interval = f"6.0 ({month.gap_lower:.1f} to {month.gap_upper:.1f})"
    for cell in ("12.0 (10)", "6.0 (10)", interval, "2.00", "Above threshold"):
        assert cell in row, cell
    assert f'href="/reports/governance/{gap_history}"' in _kpi_row_html(page)
    exported = _text(client.get(f"/reports/equity/export?table=kpi&pathway=msk&period=m:{LAST_MONTH}"))
    assert (f"msk,{LAST_MONTH},12.0,10,6.0,10,6.0,{month.gap_lower},{month.gap_upper},2.0,2.0,10,True,True,False,"
            "False,," in exported.splitlines()), "ten people at each end: shared with the interval"


def test_a_month_with_too_few_people_is_not_judged_and_its_small_medians_are_not_shared(client, login_as, too_few):
    login_as("manager")
    internal = _kpi_row(_text(client.get(f"/reports/equity?pathway=msk&period=m:{LAST_MONTH}")))
    for cell in ("12.0 (3)", "6.0 (2)", "Too few to judge"):
        assert cell in internal, cell
    assert "Above threshold" not in internal
    for shared in (f"/reports/equity?pathway=msk&period=m:{LAST_MONTH}&shared=yes",
                   f"/reports/equity/report?pathway=msk&period=m:{LAST_MONTH}"):
        row = _kpi_row(_text(client.get(shared)))
        assert row.count("- (*)") == 2, "both ends rest on 1 to 7 people: counts and medians hidden"
        assert "12.0" not in row, "nor the gap, which would give them back"
        assert "6.0" not in row
        assert "Too few to judge" in row


@pytest.fixture
def restated(app):
    """Last month in MSK reported by the nightly sweep at a gap of 1 day (ten people at each end), then moved to 4
    by an attendance on the 13th recorded since; the next sweep opens its item. Returns the first report's day."""
    with app.app_context():
        clinician = actor_for(make_user(db.session, "clinician"))
        wait_gap_month(db.session, clinician, LAST_MONTH, (1, 1, 2, 2, 3, 9, 12, 12, 12, 12),
                       (3, 4, 4, 5, 5, 5, 5, 6, 6, 7))
        late = accept_and_book(db.session, clinician, make_referral(
            db.session, received_at=f"{LAST_MONTH}-01 09:00", imd_decile="1", pathway="msk"), 12)
        reported = datetime.now(UTC)
        governance_sweep.sweep(db.session, Policy(), reported)
        db.session.commit()
        appointments.record_outcome(db.session, clinician, late, late.version, "attended")
        governance_sweep.sweep(db.session, Policy(), datetime.now(UTC))
        db.session.commit()
        return reported.astimezone(LONDON).date()


def test_a_month_changed_since_first_reported_is_marked_restated_with_what_was_reported(client, login_as,
                                                                                         restated):
    login_as("manager")
    on = restated.strftime("%d %b %Y")
    for url in (f"/reports/equity?pathway=msk&period=m:{LAST_MONTH}",
                f"/reports/equity/report?pathway=msk&period=m:{LAST_MONTH}"):
        row = _kpi_row(_text(client.get(url)))
        assert "Above threshold" in row
        assert ("Restated first reported as a gap of 1.0 days (10 and 10 people, within threshold) on "
                f"{on}.") in row, row
    exported = list(csv.DictReader(io.StringIO(_text(client.get(
        f"/reports/equity/export?table=kpi&pathway=msk&period=m:{LAST_MONTH}")))))
    [month] = [r for r in exported if r["month"] == LAST_MONTH]
    assert (month["restated"], month["first_reported_gap_days"], month["first_reported_on"]) == (
        "True", "1.0", restated.isoformat())
    row = _kpi_row_html(_text(client.get(f"/reports/equity?pathway=msk&period=m:{LAST_MONTH}")))
    item = _text(client.get(re.search(r'href="(/reports/governance/\d+)"', row).group(1)))
    assert "Arose from a restatement" in item
    assert f"First reported on {on} as a gap of 1.0 days" in item
    for listing in ("/reports/governance", f"/reports/equity/report?pathway=msk&period=m:{LAST_MONTH}"):
        assert f"arose from a restatement, first reported at 1.0 on {on}" in _text(client.get(listing)), listing


def test_a_month_unchanged_since_first_reported_is_not_marked(client, login_as, app, gap_history):
    with app.app_context():
        governance_sweep.sweep(db.session, Policy(), datetime.now(UTC))
        db.session.commit()
    login_as("manager")
    row = _kpi_row(_text(client.get(f"/reports/equity?pathway=msk&period=m:{LAST_MONTH}")))
    assert "Above threshold" in row
    assert "Restated" not in row
    for url in (f"/reports/governance/{gap_history}", "/reports/governance"):
        assert "restatement" not in _text(client.get(url)).lower(), url


def test_each_quintiles_median_wait_is_charted_and_the_gradient_needs_all_five_quintiles(client, login_as,
                                                                                       gap_history):
    login_as("senior")
    page = _text(client.get(f"/reports/equity?pathway=msk&period=m:{LAST_MONTH}"))
    assert "Median days to first contact, IMD quintile 1 (most deprived)" in page
    assert "Median days to first contact, IMD quintile 5 (least deprived)" in page
    assert "Gradient across deprivation" not in page, "quintiles 2 to 4 are empty: no gradient"


@pytest.fixture
def graded(app):
    """20 referrals received an hour ago in each IMD quintile, 8 to 12 of them accepted from the most deprived to the
    least: no count small enough to hide, so the shared CSV has the same gradients as the page."""
    with app.app_context():
        clinician = actor_for(make_user(db.session, "clinician"))
        for decile, accepted in {"1": 8, "3": 9, "5": 10, "7": 11, "9": 12}.items():
            for i in range(20):
                referral = make_referral(db.session, imd_decile=decile)
                if i < accepted:
                    triage.triage_referral(db.session, clinician, referral, referral.version, SCRIPT, [], "accept")
        db.session.commit()


@ON_BOTH_DATABASES
def test_each_gradient_says_which_way_is_better_and_the_csv_gives_the_pages_figures(client, login_as, graded):
    login_as("manager")
    page = _text(client.get("/reports/equity"))
    gradients = page[page.index("<h2>Gradient across deprivation</h2>"):].split("</table>")[0]
    rows = {}
    for row in gradients.split("<tr class=\"nhsuk-table__row\">")[2:]:
        label = row.split("</th>")[0].rsplit(">", 1)[1]
        rows[label] = [cell.split("</td>")[0] for cell in row.split('<td class="nhsuk-table__cell">')[1:]]
    assert list(rows) == ["Accepted"], "no one was rejected: a rate of 0 has no gradient"
    assert rows["Accepted"][0] == "Higher is better"
    assert rows["Accepted"][1].startswith("2"), "from 40% to 60% accepted: a rise of some 20 to 30 points"
    exported = list(csv.reader(io.StringIO(_text(client.get("/reports/equity/export?table=gradients")))))
    assert [(measure, [better.capitalize(), f"{sii} ({sii_lower} to {sii_upper})",
                       f"{rii} ({rii_lower} to {rii_upper})"])
            for measure, better, sii, sii_lower, sii_upper, rii, rii_lower, rii_upper in exported[1:]] == \
        list(rows.items()), "the same figures, in the same units, in the file as on the page"


def _chart_row(page: str, chart_id: str, month: str) -> list[str]:
    """The cells of one month's row in the numbers beneath a chart."""
    figure = page[page.index(f'aria-labelledby="{chart_id}-caption"'):].split("</figure>")[0]
    return cells(figure[figure.index(f'<td class="nhsuk-table__cell">{month}</td>'):].split("</tr>")[0])


def test_everyones_median_wait_sits_with_the_gap_and_the_quintiles_and_the_rates_are_charted(client, login_as,
                                                                                            gap_history):
    """The month's twenty waits (JUDGED_Q1_WAITS and JUDGED_Q5_WAITS): everyone's median is 9; their twenty
    attendances had no DNA."""
    login_as("manager")
    page = _text(client.get(f"/reports/equity?pathway=msk&period=m:{LAST_MONTH}"))
    assert 'aria-labelledby="wait-all-title wait-all-desc"' in page
    assert page.index('id="gap-msk-title"') < page.index('id="wait-all-title"') < page.index(
        "Median wait by IMD quintile, month by month"), "everyone's wait between the gap and the quintiles"
    assert _chart_row(page, "wait-all", LAST_MONTH) == [LAST_MONTH, "9.0", "20", "common cause"]
    for key in tables.RATE_CHARTS:
        assert f'aria-labelledby="rate-{key}-title rate-{key}-desc"' in page, key
    assert "Did not attend (DNA rate), % by month received" in page
    assert "a falling percentage is an improvement" in page
    assert _chart_row(page, "rate-dna_rate", LAST_MONTH) == [LAST_MONTH, "0.0", "20", "common cause"]


def test_a_month_on_five_people_is_left_out_of_the_shared_charts(client, login_as, too_few):
    login_as("manager")
    page = _text(client.get(f"/reports/equity?pathway=msk&period=m:{LAST_MONTH}"))
    assert _chart_row(page, "wait-all", LAST_MONTH) == [LAST_MONTH, "10.0", "5", "common cause"]
    shared = _text(client.get(f"/reports/equity?pathway=msk&period=m:{LAST_MONTH}&shared=yes"))
    assert _chart_row(shared, "wait-all", LAST_MONTH) == [LAST_MONTH, "-", "*", "no data"]
    assert _chart_row(shared, "rate-dna_rate", LAST_MONTH) == [LAST_MONTH, "-", "*", "no data"], \
        "5 attendances is a small count: the month is left out"


def test_the_intersectional_table_follows_its_selectors(client, login_as, referrals):
    login_as("manager")
    page = _text(client.get("/reports/equity?cross=flag_language&measure=dna_rate", headers={"HX-Request": "true"}))
    assert "Did not attend (DNA rate) by IMD quintile and flag: language need" in page
    default = _text(client.get("/reports/equity", headers={"HX-Request": "true"}))
    assert "Accepted by IMD quintile and ethnic group" in default


def test_the_printable_report_is_suppressed_and_lists_the_governance_items(client, login_as, gap_history):
    login_as("manager")
    response = client.get(f"/reports/equity/report?pathway=msk&period=m:{LAST_MONTH}")
    assert response.status_code == 200
    page = _text(response)
    assert f"<h1>Equity of access report: {LAST_MONTH}, Musculoskeletal (MSK)</h1>" in page
    assert "Counts of 1 to 7 are shown as *" in page
    assert "12.0 (10)" in page, "ten people at each end: shared"
    governance_table = page[page.index("<h2>Governance actions</h2>"):]
    assert f"Musculoskeletal (MSK), {LAST_MONTH}" in governance_table
    assert "No response recorded yet" in governance_table


@pytest.mark.parametrize(("table", "stem", "header"), [
    ("cross", "imd-by-ethnic_group", "IMD quintile,Ethnic group,measure,numerator,denominator,value,lower_95,upper_95"),
    ("kpi", "wait-gap", "pathway,month,q1_median_days,q1_n,q5_median_days,q5_n,gap_days,gap_lower_95,gap_upper_95,"
                        "ratio,threshold_days,min_n_each_end,judged,above_threshold,special_cause_concern,restated,"
                        "first_reported_gap_days,first_reported_on"),
    ("gradients", "gradients", "measure,better,sii_percentage_points,sii_lower_95,sii_upper_95,rii,rii_lower_95,"
                               "rii_upper_95"),
    ("completeness", "completeness", "month_received,referrals,ethnicity_stated_pct,imd_recorded_pct"),
])
def test_every_dashboard_table_downloads_as_csv(client, login_as, too_few, table, stem, header):
    login_as("auditor")
    response = client.get(f"/reports/equity/export?table={table}&pathway=msk&period=m:{LAST_MONTH}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="equity-{stem}-{LAST_MONTH}-to-{LAST_MONTH}.csv"')
    lines = _text(response).splitlines()
    assert lines[0] == header
    if table == "kpi":
        assert f"msk,{LAST_MONTH},,*,,*,,,,,2.0,10,False,False,False,False,," in lines, "3 and 2 people: nothing shown"
    if table == "cross":
        assert "1 (most deprived),White,Accepted,*,*,,," in lines, "3 of 3: both hidden"
    if table == "completeness":
        assert lines[1:] == [f"{LAST_MONTH},*,*,*"], "a share of a hidden count of referrals gives a relation away"
