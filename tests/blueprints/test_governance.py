"""Equity governance pages: the list and an item for the roles that read reports, the manager's response form with
its errors and stale-page conflict, closure once the re-measure month has closed, and escaping."""
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from inclusive_access.domain import actions, governance
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.governance import Plan
from inclusive_access.domain.kpis import KPIS, WAIT_GAP, Kpi
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.models import GovernanceItem
from inclusive_access.reporting import periods
from tests.blueprints.pages import conflict, field_names, open_page, page_text, shown_again, version_in
from tests.blueprints.records import events, stored_row
from tests.conftest import ON_BOTH_DATABASES, post_form
from tests.factories import JUDGED_Q1_WAITS, JUDGED_Q5_WAITS, make_user, staff, wait_gap_month
from tests.reporting.improvement_history import improvement_month

TODAY = datetime.now(UTC).astimezone(LONDON).date()
THIS_MONTH = TODAY.strftime("%Y-%m")
LAST_MONTH = periods.months_back(THIS_MONTH, 2)
#: an old item whose re-measure month closed long ago: planned in February 2025, re-measured in March
OLD_MONTH, OLD_REMEASURE = "2025-01", "2025-03"
OLD_PLANNED = datetime(2025, 2, 3, 12, 0, tzinfo=UTC)
PLAN_FIELDS = {"variance_explanation", "corrective_action", "lead_name", "due_date", "remeasure_month", "version"}


def _open(app, month: str = LAST_MONTH, gap: float = 6.0, kpi: Kpi = WAIT_GAP) -> int:
    with app.app_context():
        item = governance.open_item(db.session, "msk", month, gap, 2.0 if kpi.code == "wait_gap" else None, 2.0,
                                    breach=True, special_cause=False, kpi=kpi)
        db.session.commit()
        return item.id


def _plan(app, item_id: int, plan: Plan, now: datetime | None = None) -> None:
    """A manager (not the signed-in one) records `plan` through the domain."""
    with app.app_context():
        item = db.session.get(GovernanceItem, item_id)
        governance.record_plan(db.session, staff(db.session, "manager"), item, item.version, plan, now=now)
        db.session.commit()


def _saved(app, item_id: int) -> tuple:
    """What a refused POST must leave alone: the item's response, status and version, and the governance events."""
    item = stored_row(app, GovernanceItem, item_id)
    return (item.variance_explanation, item.corrective_action, item.lead_name, item.due_date, item.remeasure_month,
            item.status, item.closure_note, item.version,
            [e.action for e in events(app) if e.action.startswith("governance.")])


def _current_plan(**overrides) -> dict:
    """A valid response as the form posts it, for an item opened last month."""
    return {"variance_explanation": "Two clinics closed for refurbishment",
            "corrective_action": "Evening telephone clinics in Chapeltown", "lead_name": "Ama Mensah",
            "due_date": (TODAY + timedelta(days=30)).isoformat(), "remeasure_month": THIS_MONTH, "version": "1",
            **overrides}


def _old_planned(app, kpi: Kpi = WAIT_GAP) -> int:
    """An item for January 2025 with its plan recorded then (re-measure March 2025, now long closed), and March's
    history: a re-measured gap of 5. For the wait gap, ten people at each end, quintile 5 each seen a day later than
    JUDGED_Q5_WAITS (median 7); for the improvement gap, 8 of 20 improved in quintile 1 and 9 of 20 in quintile 5."""
    item_id = _open(app, OLD_MONTH, kpi=kpi)
    _plan(app, item_id, Plan("Clinic closed for a month", "Evening clinics", "Ama Mensah", date(2025, 3, 1),
                             OLD_REMEASURE), now=OLD_PLANNED)
    with app.app_context():
        if kpi == WAIT_GAP:
            wait_gap_month(db.session, actor_for(make_user(db.session, "clinician")), OLD_REMEASURE, JUDGED_Q1_WAITS,
                           tuple(wait + 1 for wait in JUDGED_Q5_WAITS))
        else:
            improvement_month(db.session, OLD_REMEASURE, (8, 20), (9, 20))
        db.session.commit()
    return item_id


@pytest.fixture
def item_id(app) -> int:
    """Last month's MSK item, just opened: no response yet."""
    return _open(app)


# -- reading -----------------------------------------------------------------------------------------------------

#: each KPI's item as the list and the item page give its gap
SAID = {"wait_gap": ("Wait gap", "6.0 days (threshold 2)", "6.0 days, ratio 2.00 (threshold 2 days)"),
        "improvement_gap": ("Improvement gap", "6.0 percentage points (threshold 2)",
                            "6.0 percentage points (threshold 2 percentage points)")}


@pytest.mark.parametrize("kpi", KPIS.values(), ids=KPIS.keys())
@pytest.mark.parametrize("role", ["manager", "senior", "auditor"])
def test_the_roles_that_read_reports_see_the_list_and_the_item(app, client, login_as, role, kpi):
    item_id = _open(app, kpi=kpi)
    name, listed, shown = SAID[kpi.code]
    login_as(role)
    page = open_page(client, "/reports/governance")
    assert "<h1>Equity governance items</h1>" in page
    assert "1 open, 0 closed." in page
    assert f'<a href="/reports/governance/{item_id}">Musculoskeletal (MSK), {LAST_MONTH}</a>' in page
    assert name in page
    assert listed in page
    assert "No plan yet" in page
    page = open_page(client, f"/reports/governance/{item_id}")
    assert f"<h1>Governance item: {name}, Musculoskeletal (MSK), {LAST_MONTH}</h1>" in page
    assert shown in page
    assert "Above threshold" in page


@pytest.mark.parametrize("role", ["booking", "clinician"])
def test_frontline_roles_may_not_see_governance(client, login_as, item_id, role):
    login_as(role)
    assert client.get("/reports/governance").status_code == 403
    assert client.get(f"/reports/governance/{item_id}").status_code == 403
    assert post_form(client, f"/reports/governance/{item_id}/plan", _current_plan()).status_code == 403


def test_an_unknown_item_is_not_found(client, login_as):
    login_as("manager")
    assert client.get("/reports/governance/999999").status_code == 404


def test_the_list_shows_open_items_first_then_the_newest_month(app, client, login_as):
    older, newer = _open(app, "2025-06"), _open(app, "2025-09")
    closed = _old_planned(app)
    with app.app_context():
        item = db.session.get(GovernanceItem, closed)
        governance.close_item(db.session, staff(db.session, "manager"), item, item.version, "Done", 1.0)
        db.session.commit()
    login_as("auditor")
    page = page_text(client.get("/reports/governance"))
    assert "2 open, 1 closed." in page
    positions = [page.index(f'href="/reports/governance/{i}"') for i in (newer, older, closed)]
    assert positions == sorted(positions)
    assert "Ama Mensah, by 01 Mar 2025" in page


def test_only_a_manager_sees_the_forms(client, login_as, item_id):
    login_as("manager")
    page = page_text(client.get(f"/reports/governance/{item_id}"))
    assert f'action="/reports/governance/{item_id}/plan"' in page
    assert field_names(page) >= PLAN_FIELDS
    assert "Record the response" in page
    assert "An item closes once its response is recorded" in page, "no plan yet: no close form"
    assert f'action="/reports/governance/{item_id}/close"' not in page


@pytest.mark.parametrize("role", ["senior", "auditor"])
def test_readers_see_the_item_without_forms(app, client, login_as, role):
    item_id = _old_planned(app)  # closable, so a manager would see both forms
    login_as(role)
    page = page_text(client.get(f"/reports/governance/{item_id}"))
    assert "Clinic closed for a month" in page
    assert f'action="/reports/governance/{item_id}/plan"' not in page
    assert f'action="/reports/governance/{item_id}/close"' not in page
    assert not {"variance_explanation", "closure_note"} & field_names(page)


# -- recording the response --------------------------------------------------------------------------------------

def test_a_manager_records_the_response(app, client, login_as, item_id):
    user_id = login_as("manager")
    response = post_form(client, f"/reports/governance/{item_id}/plan", _current_plan())
    assert response.status_code == 303
    assert response.headers["Location"] == f"/reports/governance/{item_id}"
    stored = stored_row(app, GovernanceItem, item_id)
    assert (stored.variance_explanation, stored.corrective_action, stored.lead_name, stored.due_date,
            stored.remeasure_month, stored.plan_recorded_by, stored.version) == (
        "Two clinics closed for refurbishment", "Evening telephone clinics in Chapeltown", "Ama Mensah",
        TODAY + timedelta(days=30), THIS_MONTH, user_id, 2)
    assert [e.action for e in events(app, actions.GOVERNANCE_PLAN_RECORDED)] == [
        actions.GOVERNANCE_PLAN_RECORDED]
    page = page_text(client.get(response.headers["Location"]))
    assert "Explanation and corrective action recorded." in page
    for value in ("Two clinics closed for refurbishment", "Evening telephone clinics in Chapeltown", "Ama Mensah",
                  (TODAY + timedelta(days=30)).strftime("%d %b %Y"), f"Shown when {THIS_MONTH} has closed"):
        assert value in page, value
    assert "Revise the response" in page
    assert 'name="version" value="2"' in page
    assert "Explanation and corrective action recorded." not in page_text(client.get(f"/reports/governance/{item_id}"))


# The rules that need the records, and one of the form's own (tests/blueprints/test_form_rules.py has the rest).
@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"variance_explanation": ""}, "variance_explanation", "Explain the variance"),
    ({"variance_explanation": "   "}, "variance_explanation", "Explain the variance"),
    ({"due_date": (TODAY - timedelta(days=1)).isoformat()}, "due_date",
     "The due date must be today or in the future"),
    ({"remeasure_month": LAST_MONTH}, "remeasure_month", f"The month to re-measure must be after {LAST_MONTH}"),
], ids=["blank-explanation", "spaces-explanation", "past-due-date", "the-items-own-month"])
def test_a_bad_response_is_shown_again_with_its_error_and_nothing_is_saved(app, client, login_as, item_id,
                                                                           changes, field, message):
    login_as("manager")
    before = _saved(app, item_id)
    response = post_form(client, f"/reports/governance/{item_id}/plan", _current_plan(**changes))
    page = shown_again(response, field, message)
    assert field_names(page) >= PLAN_FIELDS, "the form is shown again"
    assert _saved(app, item_id) == before


def test_a_bad_response_keeps_what_was_typed(client, login_as, item_id):
    login_as("manager")
    page = page_text(post_form(client, f"/reports/governance/{item_id}/plan", _current_plan(lead_name="")))
    assert "Two clinics closed for refurbishment" in page
    assert "Evening telephone clinics in Chapeltown" in page
    assert f'value="{THIS_MONTH}"' in page


def test_a_response_from_a_stale_page_is_a_conflict_and_saves_nothing(app, client, login_as, item_id):
    login_as("manager")
    _plan(app, item_id, Plan("Staff sickness", "Agency cover", "Kofi Boateng", TODAY + timedelta(days=7),
                             THIS_MONTH))  # someone else saved first: version 2
    before = _saved(app, item_id)
    response = post_form(client, f"/reports/governance/{item_id}/plan", _current_plan(version="1"))
    assert response.status_code == 409
    page = page_text(response)
    assert "This governance item changed while you were working on it" in page
    assert "Nothing was saved" in page
    assert f'href="/reports/governance/{item_id}"' in page
    assert _saved(app, item_id) == before
    assert stored_row(app, GovernanceItem, item_id).lead_name == "Kofi Boateng"


def test_a_stale_page_stays_stale_after_a_form_error(app, client, login_as, item_id):
    login_as("manager")
    seen = version_in(page_text(client.get(f"/reports/governance/{item_id}")))
    _plan(app, item_id, Plan("Staff sickness", "Agency cover", "Kofi Boateng", TODAY + timedelta(days=7),
                             THIS_MONTH))  # someone else saves while this page is open
    shown_again = post_form(client, f"/reports/governance/{item_id}/plan", _current_plan(lead_name="", version=seen))
    assert shown_again.status_code == 400
    assert version_in(page_text(shown_again)) == seen
    fixed = post_form(client, f"/reports/governance/{item_id}/plan",
                      _current_plan(version=version_in(page_text(shown_again))))
    assert fixed.status_code == 409
    assert stored_row(app, GovernanceItem, item_id).lead_name == "Kofi Boateng"


def test_a_response_without_a_version_is_refused(app, client, login_as, item_id):
    login_as("manager")
    before = _saved(app, item_id)
    response = post_form(client, f"/reports/governance/{item_id}/plan", _current_plan(version=""))
    assert response.status_code == 400
    assert _saved(app, item_id) == before


def test_a_post_without_the_csrf_token_is_refused(app, client, login_as, item_id):
    login_as("manager")
    before = _saved(app, item_id)
    response = client.post(f"/reports/governance/{item_id}/plan", data=_current_plan())
    assert response.status_code == 400
    assert _saved(app, item_id) == before


# -- closing -----------------------------------------------------------------------------------------------------

def test_an_item_cannot_close_before_its_remeasure_month_has_closed(app, client, login_as, item_id):
    login_as("manager")
    _plan(app, item_id, Plan("Staff sickness", "Agency cover", "Kofi Boateng", TODAY + timedelta(days=7),
                             THIS_MONTH))
    page = page_text(client.get(f"/reports/governance/{item_id}"))
    assert f'action="/reports/governance/{item_id}/close"' not in page
    before = _saved(app, item_id)
    response = post_form(client, f"/reports/governance/{item_id}/close", {"closure_note": "Done", "version": "2"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/reports/governance/{item_id}"
    page = page_text(client.get(response.headers["Location"]))
    assert f"Close this item once {THIS_MONTH} has closed and been re-measured." in page
    assert _saved(app, item_id) == before
    assert stored_row(app, GovernanceItem, item_id).status == "open"


def test_an_item_without_a_response_cannot_close(app, client, login_as):
    item_id = _open(app, OLD_MONTH)
    login_as("manager")
    response = post_form(client, f"/reports/governance/{item_id}/close", {"closure_note": "Done", "version": "1"})
    assert response.status_code == 303
    page = page_text(client.get(response.headers["Location"]))
    assert "Record the explanation and corrective action before closing." in page
    assert stored_row(app, GovernanceItem, item_id).status == "open"


#: _old_planned's re-measured gap of 5, judged by today's thresholds: 2 days, and 10 percentage points
REMEASURED = {"wait_gap": "5.0 days, above threshold (95% interval",
              "improvement_gap": "5.0 percentage points, within threshold (95% interval"}


@pytest.mark.parametrize("kpi", KPIS.values(), ids=KPIS.keys())
def test_a_manager_closes_an_item_once_its_remeasure_month_has_closed(app, client, login_as, kpi):
    item_id = _old_planned(app, kpi)
    user_id = login_as("manager")
    page = page_text(client.get(f"/reports/governance/{item_id}"))
    assert f"Re-measured gap, {OLD_REMEASURE}" in page
    assert REMEASURED[kpi.code] in page
    assert f'action="/reports/governance/{item_id}/close"' in page
    response = post_form(client, f"/reports/governance/{item_id}/close",
                         {"closure_note": "Gap still 5 days: escalated to the board", "version": "2"})
    assert response.status_code == 303
    stored = stored_row(app, GovernanceItem, item_id)
    assert (stored.status, stored.closure_note, stored.closed_by, stored.version) == (
        "closed", "Gap still 5 days: escalated to the board", user_id, 3)
    [closed] = events(app, actions.GOVERNANCE_CLOSED)
    assert closed.actor_id == user_id
    assert json.loads(closed.data) == {"kpi": kpi.code, "closure_note": "Gap still 5 days: escalated to the board",
                                       "remeasure_month": OLD_REMEASURE, "remeasured_gap_days": pytest.approx(5.0)}
    page = page_text(client.get(response.headers["Location"]))
    assert "Governance item closed." in page
    assert "Closed " + stored.closed_at.astimezone(LONDON).strftime("%d %b %Y %H:%M") in page
    assert "Gap still 5 days: escalated to the board" in page
    assert REMEASURED[kpi.code] in page, "the re-measure stays on the closed item"
    assert f'action="/reports/governance/{item_id}/plan"' not in page, "a closed item has no forms"
    assert f'action="/reports/governance/{item_id}/close"' not in page


@pytest.fixture
def closable(app, login_as) -> int:
    """An item whose re-measure month has closed (_old_planned), with the manager signed in: its id."""
    item_id = _old_planned(app)
    login_as("manager")
    return item_id


def test_closing_needs_a_note(app, client, closable):
    before = _saved(app, closable)
    shown_again(post_form(client, f"/reports/governance/{closable}/close", {"closure_note": "  ", "version": "2"}),
                "closure_note", "Write the closure note")
    assert _saved(app, closable) == before


def test_a_close_from_a_stale_page_is_a_conflict(app, client, closable):
    before = _saved(app, closable)
    conflict(post_form(client, f"/reports/governance/{closable}/close", {"closure_note": "Done", "version": "1"}),
             "governance item")
    assert _saved(app, closable) == before


@pytest.fixture
def closed_item(client, closable) -> int:
    """The closable item, closed by the manager."""
    assert post_form(client, f"/reports/governance/{closable}/close",
                     {"closure_note": "Done", "version": "2"}).status_code == 303
    return closable


def test_a_closed_item_refuses_another_response(app, client, closed_item):
    item_id = closed_item
    before = _saved(app, item_id)
    response = post_form(client, f"/reports/governance/{item_id}/plan",
                         _current_plan(remeasure_month="2025-04", version="3"))
    assert response.status_code == 303
    assert "This governance item is closed." in page_text(client.get(response.headers["Location"]))
    assert _saved(app, item_id) == before


@ON_BOTH_DATABASES
def test_an_old_tab_on_a_closed_item_is_told_it_is_closed_not_shown_form_errors(client, closed_item):
    item_id = closed_item
    for url, data in ((f"/reports/governance/{item_id}/plan", _current_plan(lead_name="", version="2")),
                      (f"/reports/governance/{item_id}/close", {"closure_note": "", "version": "2"})):
        response = post_form(client, url, data)
        assert response.status_code == 303, url
        page = page_text(client.get(response.headers["Location"]))
        assert "This governance item is closed." in page
        assert "Name the lead for the action" not in page
        assert "Write the closure note" not in page


# -- escaping ----------------------------------------------------------------------------------------------------

def test_the_response_is_shown_escaped(app, client, login_as, item_id):
    _plan(app, item_id, Plan('<script>alert("explained")</script>', "<b>Evening clinics</b>",
                             "<img src=x onerror=alert(1)>", TODAY + timedelta(days=7), THIS_MONTH))
    login_as("auditor")
    for url in (f"/reports/governance/{item_id}", "/reports/governance"):
        raw = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in raw, url
        assert "<img src=x" not in raw, url
    raw = client.get(f"/reports/governance/{item_id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;explained&#34;)&lt;/script&gt;" in raw
    assert "&lt;b&gt;Evening clinics&lt;/b&gt;" in raw
    with app.app_context():
        assert db.session.scalar(select(GovernanceItem.variance_explanation)) == '<script>alert("explained")</script>'
