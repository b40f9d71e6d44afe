"""A worklist's minute refresh: 204 No Content (htmx swaps nothing) while what the list shows is unchanged; the new
list once a record, the clock or the day changes it; never an answer fingerprinted for another user or filter."""
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from inclusive_access.domain import actions, events
from inclusive_access.domain.actors import SYSTEM
from inclusive_access.domain.worklists import Entry, Group, WorklistPage
from inclusive_access.extensions import db
from tests.conftest import ON_BOTH_DATABASES
from tests.factories import make_referral

HX = {"HX-Request": "true"}


def _seen(response) -> str:
    return re.search(r'name="seen" value="(\w+)"', response.get_data(as_text=True)).group(1)


def _refresh(client, url: str, seen: str):
    return client.get(f"{url}{'&' if '?' in url else '?'}seen={seen}", headers=HX)


@pytest.fixture
def referral_id(app) -> int:
    """One msk referral awaiting triage, days overdue (its clock's words change by the hour, not the minute)."""
    with app.app_context():
        referral_id = make_referral(db.session, given_name="Firstone", pathway="msk",
                                    received_at="2025-01-06 09:00").id
        db.session.commit()
    return referral_id


def _record(app, action: str, referral_id: int) -> None:
    with app.app_context():
        events.record(db.session, SYSTEM, action, "referral", referral_id, referral_id=referral_id)
        db.session.commit()


@pytest.mark.parametrize(("role", "url"), [("booking", "/triage/"), ("booking", "/clarifications/"),
                                           ("booking", "/contact-problems/"), ("clinician", "/barrier-checks/"),
                                           ("senior", "/discharge/reviews")])
@ON_BOTH_DATABASES
def test_an_unchanged_worklist_answers_its_refresh_with_no_content(client, login_as, referral_id, role, url):
    login_as(role)
    seen = _seen(client.get(url))
    refreshed = _refresh(client, url, seen)
    assert refreshed.status_code == 204
    assert refreshed.data == b""
    assert "HX-Request" in refreshed.headers["Vary"]
    assert refreshed.headers["Cache-Control"] == "no-store"
    assert "default-src 'self'" in refreshed.headers["Content-Security-Policy"]
    assert _refresh(client, url, "0" * 32).status_code == 200, "another fingerprint gets the list"


def test_the_refresh_as_htmx_sends_it_with_its_blank_filters_and_page_is_answered_empty(client, login_as,
                                                                                          referral_id):
    login_as("booking")
    seen = _seen(client.get("/triage/"))
    assert _refresh(client, "/triage/?pathway=&flag=&overdue=&page=1", seen).status_code == 204


def test_the_whole_page_is_answered_whatever_it_names(client, login_as, referral_id):
    """A history restore or a reload is not htmx's swap: it always gets the page."""
    login_as("booking")
    seen = _seen(client.get("/triage/"))
    assert "Firstone" in client.get(f"/triage/?seen={seen}").get_data(as_text=True)


def test_a_change_to_the_records_sends_the_new_list(app, client, login_as, referral_id):
    login_as("booking")
    seen = _seen(client.get("/triage/", headers=HX))
    _record(app, actions.RECORD_VIEWED, referral_id)
    assert _refresh(client, "/triage/", seen).status_code == 204, "a read changes nothing shown"
    _record(app, actions.PATIENT_UPDATED, referral_id)
    assert _refresh(client, "/triage/", seen).status_code == 200, "an edit may change a name or a flag"
    seen = _seen(client.get("/triage/", headers=HX))
    with app.app_context():
        make_referral(db.session, given_name="Secondone", pathway="msk", received_at="2025-01-07 09:00")
        db.session.commit()
    refreshed = _refresh(client, "/triage/", seen)
    assert refreshed.status_code == 200
    assert "Secondone" in refreshed.get_data(as_text=True)


def test_another_user_or_filter_is_not_answered_with_a_fingerprint_made_for_the_first(client, login_as,
                                                                                      referral_id):
    login_as("booking")
    seen = _seen(client.get("/triage/", headers=HX))
    assert _refresh(client, "/triage/?pathway=msk", seen).status_code == 200
    login_as("booking", username="test.booking.two")
    assert _refresh(client, "/triage/", seen).status_code == 200


NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
BEFORE_MIDNIGHT = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)  # London is on UTC in December


def _page(due: datetime) -> WorklistPage:
    group = Group("later", "Due later", 1, [Entry(SimpleNamespace(id=1), due)])
    return WorklistPage(groups=[group], totals={"overdue": 0, "today": 0, "later": 1}, total=1, page=1, pages=1,
                        per_page=25, as_of=7)


@pytest.mark.parametrize(("now", "due", "later", "changed"), [
    (NOW, NOW + timedelta(hours=2), timedelta(minutes=1), True),  # "2 h 0 min left", then "1 h 59 min left"
    (NOW, NOW + timedelta(seconds=30), timedelta(minutes=1), True),  # due now: overdue, another band
    (NOW, NOW + timedelta(days=3, minutes=30), timedelta(minutes=1), False),  # "3 days left" for half an hour
    (NOW, NOW + timedelta(days=3, minutes=30), timedelta(hours=1), True),  # "2 days 23 h left"
    # "3 days left" either side of midnight, but "today" has moved on
    (BEFORE_MIDNIGHT, BEFORE_MIDNIGHT + timedelta(days=3, minutes=45), timedelta(minutes=31), True),
])
def test_the_fingerprint_changes_when_the_clock_changes_what_a_row_says(now, due, later, changed):
    assert (_page(due).fingerprint(now, 1) != _page(due).fingerprint(now + later, 1)) is changed
