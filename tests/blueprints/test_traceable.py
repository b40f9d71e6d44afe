"""Every figure traceable: each count of the internal dashboard opens the referrals behind it (the same filters,
paged), each referral leads to its page and its events, opening a list is logged, and the shared view, the report
and the exports have no such links."""
import re
from datetime import UTC, datetime

import pytest

from inclusive_access.domain import audit_log
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.reporting import periods
from tests.blueprints.pages import open_page, visible
from tests.blueprints.records import events
from tests.conftest import ON_BOTH_DATABASES
from tests.factories import JUDGED_Q1_WAITS, JUDGED_Q5_WAITS, accepted, make_referral, make_user, miss, wait_gap_month

LAST_MONTH = periods.months_back(datetime.now(UTC).astimezone(LONDON).strftime("%Y-%m"), 2)
DASHBOARD = f"/reports/equity?pathway=msk&period=m:{LAST_MONTH}"
LIST = "/reports/equity/referrals"
#: a traced count: its list's address, the count, and what the link says to a screen reader
TRACED = re.compile(r'<a href="(/reports/equity/referrals\?[^"]*)">([^<]*)<span class="nhsuk-u-visually-hidden"> '
                    r'\(referrals behind: ([^<]*)\)</span></a>')


def _on(day: int, hour: int = 9) -> datetime:
    return datetime.fromisoformat(f"{LAST_MONTH}-{day:02d}T{hour:02d}:00+00:00")


@pytest.fixture
def history(app):
    """Last month in MSK: ten first contacts in each of IMD quintiles 1 and 5, a referral in quintile 1 that
    missed its appointment on the 5th, and one whose quintile is not known."""
    with app.app_context():
        clinician = actor_for(make_user(db.session, "clinician"))
        wait_gap_month(db.session, clinician, LAST_MONTH, JUDGED_Q1_WAITS, JUDGED_Q5_WAITS)
        missed = accepted(db.session, clinician, now=_on(1, 10), received_at=f"{LAST_MONTH}-01 09:00",
                          imd_decile="1", pathway="msk")
        miss(db.session, clinician, missed, starts_at=_on(5), booked_at=_on(1, 11))
        make_referral(db.session, received_at=f"{LAST_MONTH}-02 09:00", imd_decile="", pathway="msk")
        db.session.commit()


def _traced(page: str) -> list[tuple[str, str, str]]:
    return TRACED.findall(page)


def _referrals(page: str) -> list[int]:
    """The referrals a list shows, in order."""
    return [int(i) for i in re.findall(r'href="/referrals/(\d+)">Referral \d+</a>', page)]


def _listed_total(page: str) -> int:
    """The figure a list makes: how many waits, or the sum of the referrals' counts."""
    said = page[page.index('id="results-count">'):].split("</p>")[0]
    found = re.search(r"(\d+) waits?, shortest first", said) or re.search(r"referrals?, (\d+) in all", said)
    return int(found.group(1))


def every_count_opened(client, url: str) -> list[tuple[str, str, str]]:
    """Each count on the page at `url` followed to its list, which must list as many as the count says: the
    counts' (link, count, what it counts)."""
    traced = _traced(open_page(client, url))
    wrong = [f"{what}: {count}, listed {listed}" for link, count, what in traced
             if (listed := _listed_total(open_page(client, link))) != int(count)]
    assert not wrong, wrong
    return traced


def test_every_count_on_the_internal_dashboard_opens_the_referrals_behind_it(client, login_as, history):
    login_as("senior")
    traced = every_count_opened(client, DASHBOARD)
    urls = " ".join(url for url, _count, _what in traced)
    for cell in ("figure=dnas&", "figure=attendances&", "figure=waits&", "&value=not-known", "&cross_value=",
                 f"figure=waits&quintile=1&contacted={LAST_MONTH}",  # the KPI's and the wait charts'
                 "period=custom&", f"&first={LAST_MONTH}&last={LAST_MONTH}"):  # a month of a chart or completeness
        assert cell in urls + "&", f"no figure links {cell}"
    assert ("10", f"Waits from referral to first contact (days), IMD quintile 1, Musculoskeletal (MSK), first "
            f"contact in {LAST_MONTH}") in [(count, what) for _url, count, what in traced], "the KPI's n"


def test_a_list_pages_with_its_filters_and_leads_back_to_the_dashboard(app, client, login_as):
    with app.app_context():
        for day in range(52):
            make_referral(db.session, received_at=f"{LAST_MONTH}-{day % 28 + 1:02d} 09:00", imd_decile="2")
        make_referral(db.session, received_at=f"{LAST_MONTH}-01 09:00", imd_decile="9")
        db.session.commit()
    login_as("manager")
    first = open_page(client, f"{LIST}?period=m:{LAST_MONTH}&segment=imd_quintile&figure=referrals&value=1")
    assert "52 referrals, 52 in all, oldest first. Page 1 of 2." in first
    assert len(_referrals(first)) == 50
    next_page = re.search(r'href="([^"]*page=2[^"]*)"', first).group(1)
    assert next_page == (f"{LIST}?period=m:{LAST_MONTH}&segment=imd_quintile&figure=referrals&value=1"
                                        "&page=2")
    second = open_page(client, next_page)
    assert "Page 2 of 2." in second
    assert len(_referrals(second)) == 2
    assert "value=1&page=1" in second, "the previous page"
    assert f'href="/reports/equity?period=m:{LAST_MONTH}&segment=imd_quintile">Back to the dashboard' in second


def test_opening_a_list_logs_a_view_of_each_referral_it_shows(app, client, login_as, history):
    user_id = login_as("auditor")
    before = len(events(app, "record.viewed"))
    page = open_page(client, f"{LIST}?period=m:{LAST_MONTH}&pathway=msk&figure=dnas&value=1")
    assert "1 referral, 1 in all" in page
    [viewed] = events(app, "record.viewed")[before:]
    assert viewed.actor_id == user_id
    assert f'href="/referrals/{viewed.referral_id}">Referral {viewed.referral_id}</a>' in page
    with app.app_context():
        assert [row["username"] for row in audit_log.patient_views(db.session, viewed.patient_id)] == ["test.auditor"]


@pytest.mark.parametrize(("role", "events_at"), [("senior", "/referrals/{id}#timeline"),
                                                 ("auditor", "/audit/referrals/{id}/timeline")])
def test_each_referral_listed_leads_to_its_page_and_its_events(app, client, login_as, history, role, events_at):
    """The event timeline with its chain check for those who may read it; the referral page's own for others."""
    login_as(role)
    page = open_page(client, f"{LIST}?period=m:{LAST_MONTH}&figure=dnas")
    [referral_id] = _referrals(page)
    assert f'href="{events_at.format(id=referral_id)}">Events' in page


def test_the_shared_view_the_report_and_the_exports_link_to_no_list(client, login_as, history):
    login_as("manager")
    assert _traced(open_page(client, DASHBOARD)), "the internal view links its counts"
    for url in (f"{DASHBOARD}&shared=yes", DASHBOARD.replace("/equity?", "/equity/report?"),
                *(DASHBOARD.replace("/equity?", f"/equity/export?table={table}&")
                  for table in ("measures", "cross", "kpi", "gradients", "completeness"))):
        body = client.get(url).get_data(as_text=True)
        assert LIST not in body, url
        assert "referrals behind" not in body, url


@pytest.mark.parametrize(("query", "message"), [
    ("figure=everything", "Not a valid choice"),
    ("period=m:2026-01", "Name the figure"),
    ("figure=dnas&value=6", "IMD quintile has no value &#39;6&#39;"),
    ("figure=dnas&segment=sex&value=1", "Sex has no value &#39;1&#39;"),
    ("figure=dnas&cross=flag_carer&cross_value=maybe", "Flag: Caring responsibilities has no value"),
    ("figure=waits&contacted=2026-13", "Enter a month as YYYY-MM"),
    ("figure=dnas&page=0", "Pages start at 1"),
    ("figure=dnas&page=two", "Not a valid integer value"),
    ("figure=dnas&period=custom&first=2026-06&last=2026-01", "The first month must not be after the last"),
    ("figure=dnas&period=custom", "Choose a period"),
    ("figure=dnas&pathway=nowhere", "Not a valid choice"),
    ("figure=outcome_improved", "Name the questionnaire"),
    ("figure=outcome_improved&instrument=nope", "There is no questionnaire"),
])
@ON_BOTH_DATABASES
def test_arguments_no_dashboard_link_makes_are_refused_with_what_is_wrong(client, login_as, query, message):
    login_as("manager")
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_a_page_past_the_last_shows_the_last(client, login_as, history):
    login_as("manager")
    page = open_page(client, f"{LIST}?period=m:{LAST_MONTH}&figure=referrals&page=9")
    assert "22 referrals, 22 in all, oldest first." in page
    assert len(_referrals(page)) == 22


def test_a_list_says_which_referrals_it_shows(client, login_as, history):
    login_as("manager")
    page = open_page(client, f"{LIST}?period=m:{LAST_MONTH}&pathway=msk&segment=sex&value=female&figure=waits"
                             f"&quintile=1&contacted={LAST_MONTH}")
    summary = visible(page[page.index('<dl class="nhsuk-summary-list">'):page.index("</dl>")]).split()
    assert " ".join(summary) == (f"Figure Waits from referral to first contact (days) First contact in {LAST_MONTH} "
                                 "Pathway Musculoskeletal (MSK) Sex Female IMD quintile 1 (most deprived)")
    assert "10 waits, shortest first" in page
