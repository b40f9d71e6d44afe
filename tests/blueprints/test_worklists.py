"""Worklists a page at a time: 25 rows a page, links that keep the filters, any page number answered, and the
counts beside each worklist in the navigation, counted once a request for the links the role sees; each role's
header links in order, the current one marked; an empty worklist says so."""
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from inclusive_access.domain.clocks import LONDON
from inclusive_access.extensions import db
from tests.blueprints.pages import open_page
from tests.blueprints.records import accepted_referral
from tests.factories import make_referral

LONG_AGO = "2025-01-06 09:00"  # overdue, whatever the day the test runs


def _received_today() -> str:
    """A time today in London, so a flagged referral received then is due today or, after the cut-off, tomorrow."""
    return (datetime.now(UTC) - timedelta(minutes=5)).astimezone(LONDON).strftime("%Y-%m-%d %H:%M")


def _names(body: str) -> list[str]:
    return re.findall(r">Triage (\w+) SAMPLETON<", body)


@pytest.fixture
def thirty_msk_and_one_frailty(app):
    """30 overdue msk referrals (Msk00 ... Msk29, oldest first) and one frailty referral received just now."""
    with app.app_context():
        for n in range(30):
            received = (datetime(2025, 1, 6, 9, 0) + timedelta(minutes=n)).strftime("%Y-%m-%d %H:%M")
            make_referral(db.session, given_name=f"Msk{n:02d}", pathway="msk", received_at=received)
        make_referral(db.session, given_name="Frailtytoday", pathway="frailty", received_at=_received_today(),
                      housing_status="rough_sleeping")
        db.session.commit()


def test_the_triage_worklist_shows_25_rows_a_page_and_links_the_next_page_with_the_filters(
        client, login_as, thirty_msk_and_one_frailty):
    login_as("booking")
    body = client.get("/triage/?pathway=msk").get_data(as_text=True)
    assert _names(body) == [f"Msk{n:02d}" for n in range(25)]
    assert "30 referrals awaiting triage." in body
    assert "Showing 1 to 25 of 30 (page 1 of 2)." in body
    assert 'href="/triage/?pathway=msk&amp;page=2"' in body, "the next page keeps the filter"
    assert "worklist-previous" not in body

    second = client.get("/triage/?pathway=msk&page=2").get_data(as_text=True)
    assert _names(second) == [f"Msk{n:02d}" for n in range(25, 30)]
    assert 'href="/triage/?pathway=msk&amp;page=1"' in second
    assert "worklist-next" not in second
    assert 'name="page" value="2"' in second, "the minute refresh stays on this page"


@pytest.mark.parametrize(("asked", "shown"), [("99", 2), ("0", 1), ("-3", 1), ("two", 1)])
def test_any_page_number_shows_the_nearest_page(client, login_as, thirty_msk_and_one_frailty, asked, shown):
    login_as("booking")
    response = client.get(f"/triage/?page={asked}")
    assert response.status_code == 200
    assert f"(page {shown} of 2)" in response.get_data(as_text=True)


def test_each_band_has_a_heading_with_its_count_and_a_link_to_where_it_starts(
        client, login_as, thirty_msk_and_one_frailty):
    login_as("booking")
    body = client.get("/triage/").get_data(as_text=True)
    assert '<h2 class="nhsuk-heading-m nhsuk-u-margin-bottom-3" id="band-overdue">Overdue (30)</h2>' in body
    # received minutes ago: due at 17:00 today, or at noon on the next working day after the cut-off
    later = "Due today: 1" not in body
    assert f'href="/triage/?page=2#band-{"later" if later else "today"}"' in body, "today's work is one link away"
    assert "Frailtytoday" not in body, "it is on page 2, after the 30 overdue"
    page_two = client.get("/triage/?page=2").get_data(as_text=True)
    assert _names(page_two)[-1] == "Frailtytoday"
    assert ("Due later (1)" if later else "Due today (1)") in page_two


def test_the_fragment_pages_by_htmx_and_keeps_focus_on_the_link(client, login_as, thirty_msk_and_one_frailty):
    login_as("booking")
    fragment = client.get("/triage/?page=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment
    nav = re.search(r'<nav class="nhsuk-pagination"[^>]*>', fragment).group(0)
    assert 'hx-boost="true"' in nav
    assert 'hx-include="unset"' in nav, "the page links send their own query, not the refresh's"
    assert 'id="worklist-previous"' in fragment, "htmx puts focus back on the link with the same id"


@pytest.fixture
def statements(app):
    """The SQL the app runs, collected while the test makes its requests."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def collect(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", collect)
    yield seen
    event.remove(engine, "before_cursor_execute", collect)


NAV = re.compile(r'class="nhsuk-header__navigation-link"[^>]*>\s*([^<]+?)\s*<')


def test_the_navigation_counts_each_worklist_the_role_may_open(client, login_as, thirty_msk_and_one_frailty,
                                                               statements):
    login_as("booking")
    statements.clear()
    body = client.get("/referrals/list").get_data(as_text=True)
    links = NAV.findall(body)
    assert {"Triage (31)", "Clarifications (0)", "Barrier checks (0)", "Contact problems (0)"} <= set(links), links
    assert not [link for link in links if link.startswith("Senior review")], "booking staff have no review queue"
    tables = sorted(m.group(1) for m in (re.match(r"\s*SELECT count\(\*\) AS \w+\s+FROM (\w+)", s, re.I)
                                         for s in statements) if m)
    assert tables == ["barrier_checks", "clarifications", "contact_tasks", "referrals"], \
        "one count a link, none for hidden links"


#: a header link: its address, whether it is marked as the current page, its text
HEADER_LINK = re.compile(r'<a class="nhsuk-header__navigation-link" href="([^"]+)"( aria-current="page")?>\s*'
                         r'(?:<strong[^>]*>)?([^<]+?)\s*<')
#: role -> the header's links in order, with nothing on any worklist
HEADER = {
    "booking": ["Referrals", "Find a patient", "Triage (0)", "Clarifications (0)", "Barrier checks (0)", "New referral",
                "Contact problems (0)"],
    "clinician": ["Referrals", "Find a patient", "Triage (0)", "Clarifications (0)", "Barrier checks (0)",
                  "New referral", "Contact problems (0)", "Questionnaires due (0)", "Outreach records", "Safeguarding"],
    "senior": ["Referrals", "Find a patient", "Triage (0)", "Clarifications (0)", "Barrier checks (0)", "New referral",
               "Contact problems (0)", "Questionnaires due (0)", "Senior review (0)", "Outreach records",
               "Safeguarding", "Equity"],
    "auditor": ["Referrals", "Safeguarding", "Equity", "Audit"],
    "manager": ["Referrals", "Outreach", "Equity", "Audit log", "Users", "Import referrals"],
}


def _header(client, url: str) -> list[tuple[str, str, str]]:
    return HEADER_LINK.findall(client.get(url).get_data(as_text=True))


@pytest.mark.parametrize("role", HEADER)
def test_each_role_sees_the_links_it_may_follow_in_order_with_its_page_marked(client, login_as, role):
    login_as(role)
    links = _header(client, "/referrals/list")
    assert [text for _, _, text in links] == HEADER[role]
    assert [(href, text) for href, current, text in links if current] == [("/referrals/list", "Referrals")]


def test_a_discharge_request_is_marked_as_the_referrals_page_not_the_review_queue(app, client, login_as):
    referral_id = accepted_referral(app)["referral_id"]
    login_as("senior")
    assert [text for _, current, text in _header(client, "/discharge/reviews") if current] == ["Senior review (0)"]
    assert not [text for _, current, text in _header(client, f"/discharge/referrals/{referral_id}/request")
                if current]


#: worklist -> (a role that works it, its address, what it says with nothing on it)
EMPTY = {
    "barrier checks": ("clinician", "/barrier-checks/", "0 open barrier checks."),
    "senior reviews": ("senior", "/discharge/reviews", "0 reviews waiting."),
    "overdue adjustment reviews": ("manager", "/adjustments/overdue-reviews",
                                   "0 active adjustments past their review date."),
}


@pytest.mark.parametrize("worklist", EMPTY)
def test_an_empty_worklist_says_so(client, login_as, worklist):
    role, url, message = EMPTY[worklist]
    login_as(role)
    body = open_page(client, url)
    assert message in body
    assert "<table" not in body
