"""Clarification pages: the worklist (overdue first, escalated after the sweep), contact attempts, and closing with an
answer or a documented reason, which returns the referral to the top of triage."""
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.models import Clarification, ContactAttempt, Event, Referral
from tests.blueprints import pages
from tests.blueprints.records import ask, count, events
from tests.conftest import post_form
from tests.factories import make_referral, staff

TEN_MB = "x" * (10 * 1024 * 1024)


def _received(hours_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours_ago)).astimezone(LONDON).strftime("%Y-%m-%d %H:%M")


def _ask(app, name: str, hours_ago: float = 0) -> dict:
    """A referral for patient `name` with a clarification asked `hours_ago` (due 24 hours after)."""
    with app.app_context():
        referral = make_referral(db.session, given_name=name, received_at=_received(hours_ago + 2))
        item = ask(db.session, staff(db.session, "booking"), referral,
                   now=datetime.now(UTC) - timedelta(hours=hours_ago), question=f"Which knee for {name}?")
        db.session.commit()
        return {"referral_id": referral.id, "clarification_id": item.id}


def _sweep(app) -> str:
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["sla", "sweep"])
    assert result.exit_code == 0, result.output
    return result.output


def _state(app, ids: dict) -> tuple:
    """The clarification and its referral as stored, the attempts, and the events other than views."""
    with app.app_context():
        item = db.session.get(Clarification, ids["clarification_id"])
        referral = db.session.get(Referral, ids["referral_id"])
        stored = ((item.closed_at, item.response, item.close_reason, item.version),
                  (referral.state, referral.version, referral.triage_priority))
    return *stored, count(app, ContactAttempt), count(app, Event, Event.action != "record.viewed")


@pytest.fixture
def asked(app):
    return _ask(app, "Askedfor")


# -- the worklist ----------------------------------------------------------------------------------------------

def test_the_worklist_shows_overdue_first_by_due_time_escalated_after_the_sweep(app, client, login_as):
    late = _ask(app, "Latereply", hours_ago=30)  # due 6 hours ago
    login_as("booking")
    listed = pages.page_text(client.get("/clarifications/"))
    assert "Escalated" not in pages.row_naming(listed, "Latereply"), "not until the sweep"

    assert "Escalated 1 overdue clarification." in _sweep(app)
    _ask(app, "Olderunswept", hours_ago=48)  # due a day ago, but asked after the sweep ran
    _ask(app, "Freshask")
    body = pages.open_page(client, "/clarifications/")
    names = ["Olderunswept", "Latereply", "Freshask"]
    assert sorted(names, key=body.index) == names, "overdue first, by due time, escalated or not yet swept"
    assert "3 open clarifications." in body
    fresh_band = "Due today (1)" if "Due today (1)" in body else "Due later (1)"  # due 24 h from the real clock
    assert body.index("Overdue (2)") < body.index("Olderunswept") < body.index("Latereply") < body.index(
        fresh_band) < body.index("Freshask"), "a heading and count per band"
    rows = {name: pages.row_naming(body, name) for name in names}
    assert "Escalated" in rows["Latereply"]
    assert "Escalated" not in rows["Olderunswept"]
    assert "Escalated" not in rows["Freshask"]
    assert re.search(r"[56] h \d+ min overdue", rows["Latereply"]), rows["Latereply"]
    assert re.search(r"1 day overdue", rows["Olderunswept"]), rows["Olderunswept"]
    assert re.search(r"23 h \d+ min left", rows["Freshask"]), rows["Freshask"]
    assert "Which knee for Freshask?" in rows["Freshask"]
    assert "Telephone to Dr Example" in rows["Freshask"]
    assert f'href="/clarifications/{late["clarification_id"]}"' in rows["Latereply"]
    assert 'hx-trigger="every 60s"' in body


def test_the_worklist_fragment(app, client, login_as, asked):
    login_as("clinician")
    fragment = client.get("/clarifications/", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "HX-Request" in fragment.headers.get("Vary", "")
    body = fragment.get_data(as_text=True)
    assert "<html" not in body
    assert "Askedfor" in body
    assert "every 60s" not in body


# -- one clarification -----------------------------------------------------------------------------------------

def test_the_clarification_page_shows_the_banner_and_both_forms(client, login_as, asked):
    login_as("booking")
    response = client.get(f"/clarifications/{asked['clarification_id']}")
    assert response.status_code == 200
    body = pages.page_text(response)
    assert "Askedfor SAMPLETON" in pages.patient_banner(body)
    assert "Which knee for Askedfor?" in body
    assert "No attempts recorded yet." in body
    attempt = re.search(r'<form method="post" action="/clarifications/\d+/attempts".*?</form>', body, re.S).group(0)
    close = re.search(r'<form method="post" action="/clarifications/\d+/close".*?</form>', body, re.S).group(0)
    assert {"method", "reached", "note", "csrf_token"} <= pages.field_names(attempt)
    assert {"response", "close_reason", "version", "csrf_token"} <= pages.field_names(close)
    assert pages.version_in(close) == "1"
    assert client.get("/clarifications/999999").status_code == 404


def test_a_contact_attempt_is_logged(app, client, login_as, asked):
    user_id = login_as("booking")
    url = f"/clarifications/{asked['clarification_id']}"
    response = post_form(client, f"{url}/attempts", {"method": "telephone", "reached": "no",
                                                     "note": "Left a voicemail"})
    assert response.status_code == 303
    assert response.headers["Location"] == url
    page = pages.page_text(client.get(url))
    assert "Contact attempt recorded." in page
    assert "Telephone, not reached (Left a voicemail)" in page
    with app.app_context():
        attempt = db.session.scalar(select(ContactAttempt))
        assert (attempt.clarification_id, attempt.method, attempt.reached, attempt.recorded_by) == (
            asked["clarification_id"], "telephone", False, user_id)
    [logged] = events(app, "clarification.contact_attempted")
    assert (logged.actor_id, logged.referral_id) == (user_id, asked["referral_id"])
    assert json.loads(logged.data)["note"] == "Left a voicemail"
    row = pages.row_naming(pages.page_text(client.get("/clarifications/")), "Askedfor")
    assert 'Attempts </span><div class="app-table-value">1</div>' in row, "the worklist counts the attempts"
    assert _state(app, asked)[0][0] is None, "an attempt does not close it"


def test_a_bad_attempt_is_shown_again_and_nothing_is_saved(app, client, login_as, asked):
    """The form's rules are tests/blueprints/test_form_rules.py's; here, that the page shows them."""
    login_as("clinician")
    before = _state(app, asked)
    response = post_form(client, f"/clarifications/{asked['clarification_id']}/attempts", {"reached": "no"})
    pages.shown_again(response, "method", "Select how you tried to contact them")
    assert _state(app, asked) == before


# -- closing ---------------------------------------------------------------------------------------------------

# The form's own rules (length, special characters, the version) are tests/blueprints/test_form_rules.py's.
@pytest.mark.parametrize(("data", "field", "message", "status"), [
    ({"response": "", "close_reason": ""}, "response",
     "Enter the referrer's answer, or the reason for closing without one", 400),
    ({"response": "   "}, "response", "Enter the referrer's answer, or the reason for closing without one", 400),
    ({"response": TEN_MB}, "response", "Use 4000 characters or fewer", 400),
    ({"response": "Left knee", "version": "2"}, None, "This clarification changed while you were working on it",
     409),
])
def test_closing_needs_an_answer_or_a_reason_and_a_failed_close_changes_nothing(
        app, client, login_as, asked, data, field, message, status):
    login_as("booking")
    before = _state(app, asked)
    response = post_form(client, f"/clarifications/{asked['clarification_id']}/close", {"version": "1", **data})
    assert response.status_code == status
    body = pages.page_text(response)
    assert message in body
    if field:
        assert "There is a problem" in body
        assert f'href="#{field}"' in body
    assert _state(app, asked) == before, "still open, the referral still waiting"
    assert _state(app, asked)[1][0] == "awaiting_clarification"


def test_an_answer_returns_the_referral_to_the_top_of_triage(app, client, login_as, asked):
    with app.app_context():
        make_referral(db.session, given_name="Longoverdue", housing_status="rough_sleeping",
                      received_at="2025-01-06 09:00")
        db.session.commit()
    user_id = login_as("booking")
    before = client.get("/triage/").get_data(as_text=True)
    assert "Askedfor" not in before

    response = post_form(client, f"/clarifications/{asked['clarification_id']}/close",
                         {"response": "The left knee, since March", "close_reason": "", "version": "1"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/triage/"
    body = pages.page_text(client.get("/triage/"))
    assert "Clarification closed; the referral is back at the top of the triage worklist." in body
    assert body.index("Askedfor") < body.index("Longoverdue"), "above even a long-overdue flagged referral"
    assert "Back from clarification" in pages.row_naming(body, "Askedfor")
    assert "Back from clarification" not in pages.row_naming(body, "Longoverdue")

    (closed_at, answer, reason, version), referral, _attempts, _events = _state(app, asked)
    assert closed_at is not None
    assert (answer, reason, version) == ("The left knee, since March", None, 2)
    assert (referral[0], referral[2]) == ("received", 0)
    [answered] = events(app, "clarification.answered")
    assert (answered.actor_id, answered.referral_id) == (user_id, asked["referral_id"])
    assert json.loads(answered.data)["response"] == "The left knee, since March"

    page = pages.page_text(client.get(f"/clarifications/{asked['clarification_id']}"))
    assert "Answer: The left knee, since March" in page
    assert 'action="/clarifications/' not in page, "a closed clarification offers no forms"
    assert "Askedfor" not in client.get("/clarifications/").get_data(as_text=True)
    again = post_form(client, f"/clarifications/{asked['clarification_id']}/close",
                      {"response": "Second answer", "version": "2"})
    assert again.status_code == 400
    assert "This clarification is already closed" in pages.page_text(again)
    assert len(events(app, "clarification.answered")) == 1


def test_an_answered_clarification_is_not_shown_overdue(app, client, login_as, asked):
    login_as("booking")
    post_form(client, f"/clarifications/{asked['clarification_id']}/close",
              {"response": "The left knee, since March", "close_reason": "", "version": "1"})
    row = pages.row_naming(pages.page_text(client.get("/triage/")), "Askedfor")
    assert "due now" in row
    assert "overdue" not in row


def test_a_documented_reason_closes_without_an_answer(app, client, login_as, asked):
    login_as("clinician")
    response = post_form(client, f"/clarifications/{asked['clarification_id']}/close",
                         {"response": "", "close_reason": "Referrer unreachable after three attempts",
                          "version": "1"})
    assert response.status_code == 303
    (closed_at, answer, reason, _v), referral, _a, _e = _state(app, asked)
    assert closed_at is not None
    assert (answer, reason) == (None, "Referrer unreachable after three attempts")
    assert referral[0] == "received"
    assert len(events(app, "clarification.closed_without_answer")) == 1
    assert not events(app, "clarification.answered")
