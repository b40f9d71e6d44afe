"""Triage pages: the worklist (page or htmx fragment, filters, the minute refresh), the booking script and its
suggestions, the four outcomes, a senior's sign-off of a flagged rejection (on the senior review page), bad
input, and two people at once."""
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from inclusive_access.domain import reviews, triage
from inclusive_access.extensions import db
from inclusive_access.models import Clarification, Event, Referral, SeniorReview, TriageRecord, User
from tests.blueprints import pages
from tests.blueprints.records import SCRIPT_FORM, accept, count, events, script, stored_row
from tests.conftest import ON_BOTH_DATABASES, post_form
from tests.factories import make_referral, make_user, staff

#: patients told apart by given name: (pathway, overrides); Acceptedmsk is triaged already, so never listed
NAMES = {
    "overdue": ("Overduefrailty", {"pathway": "frailty", "housing_status": "rough_sleeping",
                                   "received_at": "2025-01-06 09:00"}),
    "plain": ("Plainmsk", {"pathway": "msk"}),
    "language": ("Languagemsk", {"pathway": "msk", "interpreter_needed": "yes", "preferred_language": "Polish"}),
    "accepted": ("Acceptedmsk", {"pathway": "msk"}),
}


def _shown(body: str) -> list[str]:
    """The keys of NAMES whose patients the page lists, in the order listed."""
    found = [(body.index(name), key) for key, (name, _o) in NAMES.items() if name in body]
    return [key for _i, key in sorted(found)]


@pytest.fixture
def worklist(app):
    with app.app_context():
        ids = {key: make_referral(db.session, given_name=name, **overrides).id
               for key, (name, overrides) in NAMES.items()}
        accept(db.session, staff(db.session, "booking"), db.session.get(Referral, ids["accepted"]))
        db.session.commit()
        flagged = {key: db.session.get(Referral, ref_id).flags for key, ref_id in ids.items()}
        assert flagged == {"overdue": ["housing"], "plain": [], "language": ["language"], "accepted": []}
    return ids


def _saved(app, referral_id: int) -> tuple:
    """What triage may change: the referral's state and version, triage records, clarifications, and events
    (other than views of the record, which reading a page logs)."""
    referral = stored_row(app, Referral, referral_id)
    return (referral.state, referral.version, referral.triage_escalated_at, count(app, TriageRecord),
            count(app, Clarification), count(app, Event, Event.action != "record.viewed"))


# -- the worklist ----------------------------------------------------------------------------------------------

def test_the_worklist_lists_referrals_awaiting_triage_most_urgent_first(client, login_as, worklist):
    login_as("booking")
    body = pages.open_page(client, "/triage/", "Triage worklist")
    assert _shown(body) == ["overdue", "language", "plain"], "earliest due first; the accepted one is gone"
    assert "3 referrals awaiting triage." in body
    rows = {key: pages.row_naming(body, NAMES[key][0]) for key in ("overdue", "language", "plain")}
    assert "Housing instability" in rows["overdue"]
    assert "Community frailty and discharge support" in rows["overdue"]
    assert re.search(r"\d+ days( \d+ h)? overdue", rows["overdue"]), rows["overdue"]
    assert "nhsuk-tag--red" in rows["overdue"], "overdue is red as well as in words"
    assert "due 06 Jan 2025 17:00" in rows["overdue"], "flagged before the cut-off: due 17:00 that day"
    assert "Language need" in rows["language"]
    assert re.search(r"(\d+ (days?|h|min) )+left", rows["language"]), rows["language"]
    assert "Musculoskeletal (MSK)" in rows["plain"]
    assert "No flags" in rows["plain"]
    assert re.search(r"\d+ days( \d+ h)? left", rows["plain"]), "unflagged: three working days"
    assert "Routine" in rows["plain"]
    assert f'href="/triage/referrals/{worklist["overdue"]}"' in rows["overdue"]


def test_the_worklist_is_a_page_or_a_fragment_and_says_which_varies(client, login_as, worklist):
    login_as("clinician")
    full = client.get("/triage/")
    fragment = client.get("/triage/", headers={"HX-Request": "true"})
    for response in (full, fragment):
        assert response.status_code == 200
        assert "HX-Request" in response.headers.get("Vary", "")
        assert _shown(response.get_data(as_text=True)) == ["overdue", "language", "plain"]
    page, part = full.get_data(as_text=True), fragment.get_data(as_text=True)
    assert "<html" in page
    assert "<html" not in part
    assert "<h1>" not in part
    assert 'id="worklist-count"' in part
    assert "every 60s" not in part, "the fragment replaces the list inside the polling element, not the poller"


def test_the_page_refreshes_every_minute_keeping_the_filters(client, login_as, worklist):
    login_as("senior")
    body = client.get("/triage/?flag=housing").get_data(as_text=True)
    poller = re.search(r'<div id="worklist"[^>]*>', body).group(0)
    assert 'hx-trigger="every 60s"' in poller
    assert 'hx-get="/triage/"' in poller
    assert 'hx-include="#worklist-filters, #worklist-page, #worklist-seen"' in poller, \
        "the refresh keeps the filters and the page, and names what it shows"
    form = re.search(r'<form id="worklist-filters".*?</form>', body, re.S).group(0)
    assert {"pathway", "flag", "overdue"} <= pages.field_names(form)
    assert 'hx-get="/triage/"' in form
    assert 'hx-target="#worklist"' in form
    assert '<option value="housing" selected' in form, "the page keeps the chosen filter"
    # what the poll sends: the filters from the form, as an htmx request
    refreshed = client.get("/triage/?pathway=&flag=housing&overdue=", headers={"HX-Request": "true"})
    assert _shown(refreshed.get_data(as_text=True)) == ["overdue"]


@pytest.mark.parametrize(("query", "expected"), [
    ("pathway=frailty", ["overdue"]),
    ("pathway=msk", ["language", "plain"]),
    ("pathway=mental_health", []),
    ("flag=housing", ["overdue"]),
    ("flag=language", ["language"]),
    ("flag=carer", []),
    ("overdue=yes", ["overdue"]),
    ("pathway=msk&flag=language", ["language"]),
    ("pathway=msk&overdue=yes", []),
    ("", ["overdue", "language", "plain"]),
    ("pathway=no_such&flag=housing", ["overdue", "language", "plain"]),  # a hand-edited URL shows everything
])
def test_the_filters(client, login_as, worklist, query, expected):
    login_as("booking")
    for headers in ({"HX-Request": "true"}, {}):  # htmx, and a plain GET without JavaScript
        response = client.get(f"/triage/?{query}", headers=headers)
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert _shown(body) == expected, body
        assert f"{len(expected)} referral{'' if len(expected) == 1 else 's'} awaiting triage." in body


# -- the triage page -------------------------------------------------------------------------------------------

OUTCOME_FIELDS = {"outcome", "question", "channel", "contact_name", "escalate_reason", "reason_code", "reason_text",
                  "version", "csrf_token"}


def test_the_triage_page_shows_the_banner_and_the_script(app, client, login_as, worklist):
    login_as("booking")
    referral = stored_row(app, Referral, worklist["language"])
    body = pages.open_page(client, f"/triage/referrals/{referral.id}")
    banner = pages.patient_banner(body)
    assert "Languagemsk SAMPLETON" in banner
    assert "Polish" in banner
    assert "Language need" in banner
    assert "Booking script" in body
    for question in ("How does the patient prefer to be contacted?", "Is it safe to leave a message?",
                     "Do they need an interpreter?", "Mobility and travel", "Telephone and internet access",
                     "Caring or work commitments that limit appointment times"):
        assert question in body
    names = pages.field_names(body)
    assert set(SCRIPT_FORM) | OUTCOME_FIELDS <= names, "the test posts only fields the form has"
    assert pages.version_in(body) == "1"
    assert re.search(r'<input[^>]*value="yes"[^>]*checked[^>]*name="interpreter_needed"|'
                     r'<input[^>]*name="interpreter_needed"[^>]*value="yes"[^>]*checked', body), \
        "the interpreter answer starts from the patient record"
    assert 'value="Polish"' in body
    assert f'hx-get="/triage/referrals/{referral.id}/suggestions"' in body
    assert "Telephone with interpreter" in body, "the suggestions start from the record too"


def test_accept_goes_to_booking_and_the_referral_leaves_the_worklist(app, client, login_as, worklist):
    user_id = login_as("booking")
    referral_id = worklist["plain"]
    response = post_form(client, f"/triage/referrals/{referral_id}",
                         {**SCRIPT_FORM, "caring_or_work": "Works nights", "record_suggested_adjustments": "y",
                          "outcome": "accept", "version": "1"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/appointments/referrals/{referral_id}"
    booking_page = pages.page_text(client.get(response.headers["Location"]))
    assert "Triage recorded: accepted." in booking_page
    assert "Evening appointment" in booking_page, "the script's suggestion travels to the booking page"
    referral = stored_row(app, Referral, referral_id)
    assert (referral.state, referral.version) == ("accepted", 2)
    assert referral.triaged_at is not None
    with app.app_context():
        record = db.session.scalar(select(TriageRecord).where(TriageRecord.referral_id == referral_id))
        assert record.outcome == "accepted"
        assert record.answers["caring_or_work"] == "Works nights"
        assert record.answers["safe_to_leave_message"] is True
        assert {"category": "timing", "description": "Appointments that fit: Works nights"} in \
            record.proposed_adjustments
    accepted = [e for e in events(app, "triage.accepted") if e.referral_id == referral_id]
    assert [e.actor_id for e in accepted] == [user_id]
    assert len(events(app, "triage.script_recorded")) == 2  # the fixture's accepted referral, and this one
    remaining = client.get("/triage/", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert _shown(remaining) == ["overdue", "language"]


def test_clarify_sends_the_referral_to_the_clarifications_worklist(app, client, login_as, worklist):
    login_as("booking")
    referral_id = worklist["plain"]
    response = post_form(client, f"/triage/referrals/{referral_id}",
                         {**SCRIPT_FORM, "outcome": "clarify", "question": "Which knee, and since when?",
                          "channel": "email", "contact_name": "Dr Example's secretary", "version": "1"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/triage/"
    assert stored_row(app, Referral, referral_id).state == "awaiting_clarification"
    with app.app_context():
        item = db.session.scalar(select(Clarification).where(Clarification.referral_id == referral_id))
        assert (item.question, item.channel, item.contact_name) == (
            "Which knee, and since when?", "email", "Dr Example's secretary")
        assert item.due_at - item.requested_at == timedelta(hours=24)
    listing = pages.page_text(client.get("/clarifications/"))
    assert "Plainmsk" in listing
    assert "Which knee, and since when?" in listing
    assert "Email to Dr Example's secretary" in listing
    assert "Plainmsk" not in client.get("/triage/").get_data(as_text=True)


def test_clarify_without_its_details_is_shown_again(app, client, login_as, worklist):
    login_as("booking")
    referral_id = worklist["plain"]
    before = _saved(app, referral_id)
    response = post_form(client, f"/triage/referrals/{referral_id}",
                         {**SCRIPT_FORM, "outcome": "clarify", "question": "", "contact_name": "", "version": "1"})
    assert response.status_code == 400
    body = pages.page_text(response)
    assert "There is a problem" in body
    assert "Enter the question for the referrer" in body
    assert "Select how you will contact them" in body
    assert "Enter whom you will contact" in body
    assert _saved(app, referral_id) == before


def test_escalate_needs_a_reason(app, client, login_as, worklist):
    login_as("booking")
    referral_id = worklist["plain"]
    before = _saved(app, referral_id)
    response = post_form(client, f"/triage/referrals/{referral_id}",
                         {**SCRIPT_FORM, "mobility": "housebound", "outcome": "escalate", "escalate_reason": "",
                          "version": "1"})
    assert response.status_code == 400
    body = pages.page_text(response)
    assert "There is a problem" in body
    assert '<a href="#escalate_reason"' in body, "the error links to the reason box"
    assert "Say why this needs a senior's triage" in body
    assert re.search(r'value="housebound"[^>]*checked|checked[^>]*value="housebound"', body), "answers are kept"
    assert _saved(app, referral_id) == before, "the script is not saved without the outcome"

    response = post_form(client, f"/triage/referrals/{referral_id}",
                         {**SCRIPT_FORM, "outcome": "escalate", "escalate_reason": "Possible cauda equina",
                          "version": "1"})
    assert response.status_code == 303
    referral = stored_row(app, Referral, referral_id)
    assert (referral.state, referral.version) == ("received", 2)
    assert referral.triage_escalated_at is not None
    assert "Possible cauda equina" in events(app, "triage.escalated")[0].data
    assert "Senior triage" in pages.row_naming(client.get("/triage/").get_data(as_text=True), "Plainmsk")

    # only a senior may now accept or reject it
    refused = post_form(client, f"/triage/referrals/{referral_id}", {**SCRIPT_FORM, "outcome": "accept",
                                                                    "version": "2"})
    assert refused.status_code == 400
    assert "This referral is waiting for senior triage." in pages.page_text(refused)
    assert stored_row(app, Referral, referral_id).state == "received"


def test_a_senior_decides_an_escalated_referral(app, client, login_as, worklist):
    with app.app_context():
        referral = db.session.get(Referral, worklist["plain"])
        triage.triage_referral(db.session, staff(db.session, "booking"), referral, 1, script(), [], "escalate",
                               reason_text="Red flags")
        db.session.commit()
    login_as("senior")
    response = post_form(client, f"/triage/referrals/{worklist['plain']}",
                         {**SCRIPT_FORM, "outcome": "accept", "version": "2"})
    assert response.status_code == 303
    assert stored_row(app, Referral, worklist["plain"]).state == "accepted"


# -- rejection and the senior's sign-off -----------------------------------------------------------------------

REJECT = {**SCRIPT_FORM, "outcome": "reject", "reason_code": "wrong_service",
          "reason_text": "Better met by the falls service", "version": "1"}


def test_rejecting_an_unflagged_referral_rejects_it(app, client, login_as, worklist):
    login_as("clinician")
    response = post_form(client, f"/triage/referrals/{worklist['plain']}", REJECT)
    assert response.status_code == 303
    referral = stored_row(app, Referral, worklist["plain"])
    assert (referral.state, referral.rejection_code) == ("rejected", "wrong_service")
    assert len(events(app, "triage.rejected")) == 1


def test_a_booking_user_may_not_reject(app, client, login_as, worklist):
    login_as("booking")
    before = _saved(app, worklist["plain"])
    response = post_form(client, f"/triage/referrals/{worklist['plain']}", REJECT)
    assert response.status_code == 400
    assert "The booking role may not reject a referral." in pages.page_text(response)
    assert _saved(app, worklist["plain"]) == before


@pytest.fixture
def proposed(app, client, worklist):
    """A clinician has rejected the flagged, overdue referral: it waits in rejection_review for a senior."""
    return _propose(app, client, worklist["overdue"])


def _propose(app, client, referral_id: int) -> int:
    with app.app_context():
        if not db.session.scalar(select(User.id).where(User.username == "rejecting.clinician")):
            make_user(db.session, "clinician", "rejecting.clinician")
            db.session.commit()
    pages.sign_in(client, "rejecting.clinician")
    response = post_form(client, f"/triage/referrals/{referral_id}", REJECT)
    assert response.status_code == 303
    assert post_form(client, "/auth/logout", {}).status_code == 303
    return referral_id


def _review_id(app, referral_id: int) -> int:
    """The pending senior review of `referral_id`."""
    with app.app_context():
        review = reviews.pending_review(db.session, referral_id)
        assert review is not None, "no pending review"
        return review.id


DECIDE = {"rationale": "Discussed with the falls team", "plan": "", "version": "2"}


def test_rejecting_a_flagged_referral_waits_for_a_senior(app, client, login_as, proposed):
    referral = stored_row(app, Referral, proposed)
    assert (referral.state, referral.version) == ("rejection_review", 2)
    assert not events(app, "triage.rejected")
    assert len(events(app, "triage.rejection_proposed")) == 1
    review = stored_row(app, SeniorReview, _review_id(app, proposed))
    assert (review.kind, review.reason, review.decided_at) == ("rejection", "wrong_service", None)
    login_as("clinician")
    page = pages.page_text(client.get(f"/referrals/{proposed}"))
    assert "Rejection proposed:</strong> Better met by another service. Better met by the falls service" in page
    assert "Waiting for senior review:</strong> Proposed rejection of a flagged referral" in page
    assert "/discharge/reviews/" not in page, "only a senior is offered the review"
    assert "Open the review" not in page
    assert "Overduefrailty" not in client.get("/triage/").get_data(as_text=True)


@ON_BOTH_DATABASES
def test_the_senior_sees_the_decision_form(app, client, login_as, proposed):
    login_as("senior")
    review_id = _review_id(app, proposed)
    referral_page = pages.page_text(client.get(f"/referrals/{proposed}"))
    assert f'<a href="/discharge/reviews/{review_id}">Open the review</a>' in referral_page
    page = pages.open_page(client, f"/discharge/reviews/{review_id}")
    assert "Senior review: Proposed rejection of a flagged referral" in page
    assert "Better met by the falls service" in page, "the clinician's explanation is shown"
    form = re.search(rf'<form method="post" action="/discharge/reviews/{review_id}/decision".*?</form>', page, re.S)
    assert form, page
    assert {"decision", "rationale", "plan", "version", "csrf_token"} <= pages.field_names(form.group(0))
    assert pages.version_in(form.group(0)) == "2"
    assert "Uphold the rejection" in form.group(0)
    assert "Return the referral to triage" in form.group(0)
    assert "return_to" not in pages.field_names(form.group(0)), "a rejection goes back to triage, never to treatment"


@pytest.mark.parametrize(("data", "state", "action"), [
    ({"decision": "approved"}, "rejected", "rejection.upheld"),
    ({"decision": "continue", "plan": "Triage again with the falls team's advice"}, "received",
     "rejection.overturned"),
])
@ON_BOTH_DATABASES
def test_the_senior_upholds_or_overturns(app, client, login_as, proposed, data, state, action):
    senior_id = login_as("senior")
    review_id = _review_id(app, proposed)
    response = post_form(client, f"/discharge/reviews/{review_id}/decision", {**DECIDE, **data})
    assert response.status_code == 303
    assert response.headers["Location"] == "/discharge/reviews"
    shown = pages.page_text(client.get(response.headers["Location"]))
    assert f"Decision recorded: the referral is now {state}." in shown
    referral = stored_row(app, Referral, proposed)
    assert (referral.state, referral.version) == (state, 3)
    decided = events(app, action)
    assert [(e.actor_id, e.referral_id) for e in decided] == [(senior_id, proposed)]
    assert json.loads(decided[0].data)["rationale"] == "Discussed with the falls team"
    review = stored_row(app, SeniorReview, review_id)
    assert (review.decision, review.decided_by, review.rationale) == (
        data["decision"], senior_id, "Discussed with the falls team")
    with app.app_context():
        assert reviews.pending_review(db.session, proposed) is None, "the review leaves the queue"
    assert "Overduefrailty" not in pages.page_text(client.get("/discharge/reviews"))
    listed = _shown(client.get("/triage/").get_data(as_text=True))
    if state == "received":
        assert listed[0] == "overdue", "returned to the top of the triage worklist"
        assert referral.triage_priority == 0
        shown = pages.page_text(client.get(f"/referrals/{proposed}"))
        assert "Rejection proposed:</strong>" not in shown, "triaged afresh"
    else:
        assert "overdue" not in listed


def test_an_overturned_rejection_goes_above_referrals_due_sooner(app, client, login_as, worklist):
    """The language referral is due after the overdue one; overturned, it is triaged first."""
    referral_id = _propose(app, client, worklist["language"])
    login_as("senior")
    response = post_form(client, f"/discharge/reviews/{_review_id(app, referral_id)}/decision",
                         {**DECIDE, "decision": "continue", "plan": "Triage with an interpreter"})
    assert response.status_code == 303
    assert _shown(client.get("/triage/").get_data(as_text=True)) == ["language", "overdue", "plain"]


@pytest.mark.parametrize(("data", "message"), [
    ({"decision": "approved", "rationale": ""}, "Record the rationale"),
    ({"decision": "approved", "rationale": "  \r\n "}, "Record the rationale"),
    ({"rationale": "No decision chosen"}, "Select the decision"),
    ({"decision": "maybe", "rationale": "Unknown value"}, "Not a valid choice"),
    ({"decision": "continue", "rationale": "No plan given"}, "Record the plan for continuing engagement"),
    ({"decision": "approved", "rationale": "x" * (10 * 1024 * 1024)}, "Use 4000 characters or fewer"),
    ({"decision": "approved", "rationale": "Null\x00byte"}, "Remove the special characters"),
    ({"decision": "approved", "rationale": "Bad version", "version": "two"}, "Not a valid integer value"),
    ({"decision": "approved", "rationale": "Stale version", "version": "1"}, "changed while you were working on it"),
])
def test_a_bad_decision_changes_nothing(app, client, login_as, proposed, data, message):
    login_as("senior")
    review_id = _review_id(app, proposed)
    before = _saved(app, proposed)
    response = post_form(client, f"/discharge/reviews/{review_id}/decision", {**DECIDE, **data})
    stale = message.startswith("changed")
    assert response.status_code == (409 if stale else 400)
    body = pages.page_text(response)
    assert message in body
    if not stale:
        assert "There is a problem" in body
        assert f'<form method="post" action="/discharge/reviews/{review_id}/decision"' in body, "the form again"
    assert _saved(app, proposed) == before
    assert stored_row(app, SeniorReview, review_id).decided_at is None
    assert not [e for e in events(app) if e.action.startswith("rejection.")]


def test_only_a_senior_may_decide(app, client, login_as, proposed):
    review_id = _review_id(app, proposed)
    user_id = login_as("clinician")
    assert client.get(f"/discharge/reviews/{review_id}").status_code == 403
    response = post_form(client, f"/discharge/reviews/{review_id}/decision",
                         {**DECIDE, "decision": "approved", "rationale": "I am sure"})
    assert response.status_code == 403
    assert stored_row(app, Referral, proposed).state == "rejection_review"
    assert stored_row(app, SeniorReview, review_id).decided_at is None
    denied = events(app, "access.denied")
    assert [(e.actor_id, json.loads(e.data)["endpoint"]) for e in denied] == [
        (user_id, "discharge.show_review"), (user_id, "discharge.decide_review")]


# -- bad input to the triage form ------------------------------------------------------------------------------

TEN_MB = "x" * (10 * 1024 * 1024)
#: case -> (form data, field whose error is shown, message)
BAD_TRIAGE = {
    "no answers at all": ({"outcome": "accept", "version": "1"}, "contact_method",
                          "Select how the patient prefers to be contacted"),
    "no mobility answer": ({**SCRIPT_FORM, "mobility": None, "outcome": "accept", "version": "1"}, "mobility",
                           "Select what travel to an appointment involves for them"),
    "no outcome": ({**SCRIPT_FORM, "version": "1"}, "outcome", "Select what happens next"),
    "unknown outcome": ({**SCRIPT_FORM, "outcome": "delete", "version": "1"}, "outcome", "Not a valid choice"),
    "unknown contact method": ({**SCRIPT_FORM, "contact_method": "pigeon", "outcome": "accept", "version": "1"},
                               "contact_method", "Not a valid choice"),
    "unknown rejection code": ({**REJECT, "reason_code": "because"}, "reason_code", "Not a valid choice"),
    "rejection without a reason": ({**REJECT, "reason_code": "", "reason_text": ""}, "reason_code",
                                   "Select the reason for rejecting"),
    "unknown channel": ({**SCRIPT_FORM, "outcome": "clarify", "question": "Which knee?", "channel": "fax",
                         "contact_name": "Dr Example", "version": "1"}, "channel", "Not a valid choice"),
    "blank question": ({**SCRIPT_FORM, "outcome": "clarify", "question": "   ", "channel": "email",
                        "contact_name": "Dr Example", "version": "1"}, "question",
                       "Enter the question for the referrer"),
    "blank contact": ({**SCRIPT_FORM, "outcome": "clarify", "question": "Which knee?", "channel": "email",
                       "contact_name": " ", "version": "1"}, "contact_name", "Enter whom you will contact"),
    "blank escalation reason": ({**SCRIPT_FORM, "outcome": "escalate", "escalate_reason": "\r\n  ", "version": "1"},
                                "escalate_reason", "Say why this needs a senior's triage"),
    "blank explanation": ({**REJECT, "reason_text": "   "}, "reason_text",
                          "Explain the decision for the referrer and the record"),
    "10 MB answer": ({**SCRIPT_FORM, "contact_times": TEN_MB, "outcome": "accept", "version": "1"},
                     "contact_times", "Use 500 characters or fewer"),
    "10 MB question": ({**SCRIPT_FORM, "outcome": "clarify", "question": TEN_MB, "channel": "email",
                        "contact_name": "Dr Example", "version": "1"}, "question", "Use 4000 characters or fewer"),
    "NUL byte": ({**SCRIPT_FORM, "language": "Pol\x00ish", "outcome": "accept", "version": "1"}, "language",
                 "Remove the special characters"),
    "NUL byte in the reason": ({**REJECT, "reason_text": "No\x00"}, "reason_text", "Remove the special characters"),
    "adjustment without a category": ({**SCRIPT_FORM, "other_adjustment_description": "Quiet room",
                                       "outcome": "accept", "version": "1"}, "other_adjustment_category",
                                      "Each adjustment needs a category and a description"),
    "version not a number": ({**SCRIPT_FORM, "outcome": "accept", "version": "one"}, "version",
                             "Not a valid integer value"),
    "no version": ({**SCRIPT_FORM, "outcome": "accept"}, "version", "This field is required"),
}


@pytest.mark.parametrize("case", BAD_TRIAGE)
def test_bad_triage_input_is_shown_again_and_nothing_is_saved(app, client, login_as, worklist, case):
    login_as("clinician")
    data, field, message = BAD_TRIAGE[case]
    referral_id = worklist["plain"]
    before = _saved(app, referral_id)
    response = post_form(client, f"/triage/referrals/{referral_id}", {k: v for k, v in data.items() if v is not None})
    pages.shown_again(response, field, message, status=(200, 400))
    assert _saved(app, referral_id) == before
    with app.app_context():
        assert db.session.scalar(select(Event.seq).where(Event.referral_id == referral_id)
                                 .where(Event.action != "referral.received")) is None


def test_triage_of_an_unknown_referral_is_404(client, login_as):
    login_as("booking")
    assert client.get("/triage/referrals/999999").status_code == 404
    assert post_form(client, "/triage/referrals/999999", {**SCRIPT_FORM, "outcome": "accept",
                                                          "version": "1"}).status_code == 404
    assert client.get("/triage/referrals/999999/suggestions").status_code == 404


def test_a_triaged_referral_offers_no_form(app, client, login_as, worklist):
    login_as("booking")
    body = pages.page_text(client.get(f"/triage/referrals/{worklist['accepted']}"))
    assert "This referral is accepted; it is not awaiting triage." in body
    assert 'id="triage-form"' not in body
    before = _saved(app, worklist["accepted"])
    response = post_form(client, f"/triage/referrals/{worklist['accepted']}",
                         {**SCRIPT_FORM, "outcome": "accept", "version": "2"})
    assert response.status_code == 400
    assert "is not possible while the referral is accepted" in pages.page_text(response)
    assert _saved(app, worklist["accepted"]) == before


# -- the suggestions fragment ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "formats", "adjustments"), [
    ("interpreter_needed=yes&language=Polish&mobility=none&digital_access=phone_only",
     "Telephone with interpreter, Clinic", ["Communication support: Polish interpreter for every contact"]),
    ("interpreter_needed=no&mobility=housebound&digital_access=video",
     "Home visit, Video, Telephone", ["Environment and access: Home visits"]),
    ("interpreter_needed=yes&mobility=housebound&caring_or_work=School+run",
     "Telephone with interpreter, Home visit, Evening appointment",
     ["Spoken language interpreter for every contact", "Home visits", "Timing: Appointments that fit: School run"]),
    ("", "Telephone", []),
])
@ON_BOTH_DATABASES
def test_the_suggestions_fragment_follows_the_answers(app, client, login_as, worklist, query, formats, adjustments):
    login_as("booking")
    response = client.get(f"/triage/referrals/{worklist['plain']}/suggestions?{query}",
                          headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = pages.page_text(response)
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="suggestions"'), "replaces the block it came from (outerHTML)"
    assert f"Formats: {formats}." in body
    for adjustment in adjustments:
        assert adjustment in body
    if not adjustments:
        assert "No adjustments suggested yet." in body
    assert count(app, TriageRecord) == 1, "a preview saves nothing (the one record is the fixture's)"


# -- two people, one referral ----------------------------------------------------------------------------------

def test_the_second_of_two_people_gets_a_conflict_and_nothing_is_lost(app, worklist):
    referral_id = worklist["language"]
    with app.app_context():
        make_user(db.session, "booking", "first.booker")
        make_user(db.session, "clinician", "second.clinician")
        db.session.commit()
    first, second = app.test_client(), app.test_client()
    assert pages.sign_in(first, "first.booker").status_code == 303
    assert pages.sign_in(second, "second.clinician").status_code == 303
    url = f"/triage/referrals/{referral_id}"
    assert pages.version_in(first.get(url).get_data(as_text=True)) == "1"
    assert pages.version_in(second.get(url).get_data(as_text=True)) == "1"

    accepted = post_form(first, url, {**SCRIPT_FORM, "interpreter_needed": "yes", "language": "Polish",
                                      "outcome": "accept", "version": "1"})
    assert accepted.status_code == 303
    before = _saved(app, referral_id)

    rejected = post_form(second, url, {**REJECT, "version": "1"})
    assert rejected.status_code == 409
    body = pages.page_text(rejected)
    assert "This referral changed while you were working on it" in body
    assert "Nothing was saved" in body
    assert "What changed since you opened the form" in body
    changes = body[body.index("What changed since you opened the form"):body.index("</table>")]
    assert "Accepted at triage" in changes
    assert "Test booking" in changes, "says who changed it"
    assert "Languagemsk SAMPLETON" in body, "the patient banner is still shown"
    assert f'href="{url}"' in body

    assert _saved(app, referral_id) == before
    referral = stored_row(app, Referral, referral_id)
    assert referral.state == "accepted"
    assert not events(app, "triage.rejected")
    assert not events(app, "triage.rejection_proposed")
    with app.app_context():
        record = db.session.scalar(select(TriageRecord).where(TriageRecord.referral_id == referral_id))
        assert record.answers["language"] == "Polish", "the first person's script is kept"
        assert record.outcome == "accepted"


def test_the_booking_team_corrects_the_flags_from_the_triage_page(app, client, login_as, worklist):
    login_as("booking")
    referral_id = worklist["plain"]
    triage_page = client.get(f"/triage/referrals/{referral_id}").get_data(as_text=True)
    assert f'href="/triage/referrals/{referral_id}/flags"' in triage_page
    form = pages.page_text(client.get(f"/triage/referrals/{referral_id}/flags"))
    assert "Caring responsibilities" in form, "the flags are offered as checkboxes"

    refused = post_form(client, f"/triage/referrals/{referral_id}/flags", {"flags": ["carer"], "version": "1"})
    assert refused.status_code == 400
    assert '<a href="#reason"' in refused.get_data(as_text=True), "the error links to the reason box"
    assert stored_row(app, Referral, referral_id).flags == []

    saved = post_form(client, f"/triage/referrals/{referral_id}/flags",
                      {"flags": ["carer", "language"], "reason": "Cares for her mother; needs a Polish interpreter",
                       "version": "1"})
    assert (saved.status_code, saved.headers["Location"]) == (303, f"/triage/referrals/{referral_id}")
    referral = stored_row(app, Referral, referral_id)
    assert (referral.flags, referral.flagged, referral.version) == (["language", "carer"], True, 2)
    assert "Inequality flags corrected." in pages.page_text(client.get(saved.headers["Location"]))
