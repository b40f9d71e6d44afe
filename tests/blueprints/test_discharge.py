"""Senior review before discharge: the discharge request (its DNA history, the barrier-check rule, one review per
submit, bad input), the senior's queue (page or htmx fragment), the review page (banner, lost-contact prompt, what
blocks a discharge), the decisions (approve, four eyes, continue, the safeguarding route, an open concern), bad
decisions, and who may reach each page."""
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from inclusive_access.domain import appointments, discharge, dna, reviews, safeguarding
from inclusive_access.domain.safeguarding import ConcernDetails
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.models import Event, Referral, SafeguardingConcern, SeniorReview
from tests.blueprints import pages
from tests.blueprints.records import accept, accepted_referral, count, events, miss, stored_row
from tests.conftest import post_form
from tests.factories import book, make_referral, make_user, staff

HTMX = {"HX-Request": "true"}
LOST_CONTACT = "Lost contact: consider the safeguarding route"
CHECK_OPEN = "A barrier check is still open: complete it before discharge"
CONCERN_OPEN = "A safeguarding concern is open: close it first, or record why discharge is still safe"
FOUR_EYES = "You asked for this: another senior must approve it."
NOT_WHILE_CHECK_OPEN = "Complete the barrier check for the missed appointment before asking for discharge"
ROLES_REFUSED = ("auditor", "manager", "booking", "clinician")


def _hidden(body: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', body).group(0)
    return re.search(r'value="([^"]*)"', tag).group(1)


def _treated(app, given_name: str = "Treated", **patient) -> int:
    """An in-treatment referral: accepted and booked, and its telephone appointment a week ago attended."""
    with app.app_context():
        booker, clinician = staff(db.session, "booking"), staff(db.session, "clinician")
        patient.setdefault("received_at", (datetime.now(UTC) - timedelta(days=8)).strftime("%Y-%m-%d %H:%M"))
        referral = make_referral(db.session, given_name=given_name, **patient)
        accept(db.session, booker, referral)
        appointment = book(db.session, booker, referral, datetime.now(UTC).replace(microsecond=0) - timedelta(days=7))
        appointments.record_outcome(db.session, clinician, appointment, appointment.version, "attended")
        db.session.commit()
        assert referral.state == "in_treatment"
        return referral.id


def _request(app, referral_id: int, by: int | None = None, reason: str = "treatment_complete",
             text: str = "Goals met, agreed with the patient", now: datetime | None = None) -> int:
    """A discharge request through the domain, by the user `by` (a new clinician unless given): the review id."""
    from inclusive_access.domain.actors import actor_for
    from inclusive_access.models import User

    with app.app_context():
        actor = actor_for(db.session.get(User, by)) if by else staff(db.session, "clinician")
        referral = db.session.get(Referral, referral_id)
        review = discharge.request_discharge(db.session, actor, referral, referral.version, reason, text, now=now)
        db.session.commit()
        return review.id


def _saved(app, referral_id: int) -> tuple:
    """What a request or a decision may change: the referral, the reviews and their decisions, concerns, and the
    events other than views of the record."""
    with app.app_context():
        referral = db.session.get(Referral, referral_id)
        state = (referral.state, referral.version, referral.discharged_at)
        decided = db.session.execute(select(SeniorReview.id, SeniorReview.decision, SeniorReview.decided_at)
                                     .order_by(SeniorReview.id)).all()
    return (state, [tuple(r) for r in decided], count(app, SafeguardingConcern),
            count(app, Event, Event.action != "record.viewed"))


def _unreached(app, referral_id: int, times: int = 3) -> None:
    """Log `times` telephone attempts that did not reach the patient, on the referral's open barrier check."""
    with app.app_context():
        actor = staff(db.session, "booking")
        check = dna.open_check_for(db.session, referral_id)
        for _ in range(times):
            dna.log_attempt(db.session, actor, check, "telephone", False, "No answer")
        db.session.commit()


@pytest.fixture
def missed(app) -> dict:
    """An accepted referral whose appointment three days ago was missed: its barrier check is open."""
    with app.app_context():
        referral = make_referral(db.session, given_name="Missed")
        check = miss(db.session, staff(db.session, "clinician"), referral)
        db.session.commit()
        return {"referral_id": referral.id, "check_id": check.id, "missed_at": check.missed_at}


@pytest.fixture
def requested(app) -> dict:
    """An in-treatment referral whose discharge a clinician (not the senior who decides) has asked for."""
    referral_id = _treated(app)
    return {"referral_id": referral_id, "review_id": _request(app, referral_id)}


# -- the discharge request -------------------------------------------------------------------------------------

def test_the_request_form_shows_the_dna_history_and_the_open_barrier_check(app, client, login_as, missed):
    login_as("clinician")
    body = pages.page_about(client, f"/discharge/referrals/{missed['referral_id']}/request", "Missed SAMPLETON",
                      "Request discharge: Musculoskeletal (MSK)")
    assert "you cannot approve your own request" in body
    history = body[body.index("<h2>Appointments and missed appointments</h2>"):body.index("</table>")]
    row = pages.row_naming(history, "Telephone")
    assert "Did not attend" in row
    assert f'href="/barrier-checks/{missed["check_id"]}">Open' in row
    assert "No contact attempts" in row
    callout = body[body.index("Barrier check open"):]
    assert f'href="/barrier-checks/{missed["check_id"]}">barrier check</a> is still open' in callout
    assert "A request for non-attendance waits until it is complete." in callout
    assert {"reason", "reason_text", "submission_token", "version", "csrf_token"} <= pages.field_names(body)
    assert pages.version_in(body) == str(stored_row(app, Referral, missed["referral_id"]).version)
    assert re.fullmatch(r"[A-Za-z0-9_-]{20,64}", _hidden(body, "submission_token"))
    for code in ("treatment_complete", "patient_choice", "moved_away", "non_attendance", "other"):
        assert f'value="{code}"' in body


def test_the_request_form_without_appointments_says_so(app, client, login_as):
    referral_id = accepted_referral(app, given_name="Unbooked")["referral_id"]
    login_as("senior")
    body = pages.open_page(client, f"/discharge/referrals/{referral_id}/request")
    assert "No appointments on this referral." in body
    assert "Barrier check open" not in body


def _request_form(client, referral_id: int, **data) -> dict:
    """The request form's version and one-time token, as the browser would post them, with `data`."""
    body = client.get(f"/discharge/referrals/{referral_id}/request").get_data(as_text=True)
    return {"version": pages.version_in(body), "submission_token": _hidden(body, "submission_token"),
            "reason": "treatment_complete", "reason_text": "Goals met and agreed with the patient", **data}


def test_a_clinician_requests_discharge(app, client, login_as):
    referral_id = _treated(app)
    user_id = login_as("clinician")
    before = stored_row(app, Referral, referral_id)
    response = post_form(client, f"/discharge/referrals/{referral_id}/request", _request_form(client, referral_id))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/referrals/{referral_id}"
    with app.app_context():
        [review] = db.session.scalars(select(SeniorReview)).all()
        assert (review.referral_id, review.kind, review.reason, review.reason_text, review.opened_by,
                review.decided_at) == (referral_id, "discharge", "treatment_complete",
                                       "Goals met and agreed with the patient", user_id, None)
        review_id = review.id
    page = pages.page_text(client.get(response.headers["Location"]))
    assert f"Discharge requested: a senior will review it (review {review_id})." in page
    assert "Waiting for senior review:</strong> Discharge request" in page
    assert "Open the review" not in page, "a clinician does not decide"
    assert 'href="/discharge/referrals/' not in page, "no second request while one waits"
    referral = stored_row(app, Referral, referral_id)
    assert (referral.state, referral.version) == ("discharge_review", before.version + 1)
    [event] = events(app, "discharge.requested")
    assert (event.actor_id, event.referral_id, event.entity_type, event.entity_id) == (
        user_id, referral_id, "senior_review", review_id)
    assert json.loads(event.data)["reason"] == "treatment_complete"


def test_a_second_submit_of_the_same_request_makes_one_review(app, client, login_as):
    referral_id = _treated(app)
    login_as("clinician")
    data = _request_form(client, referral_id)
    first = post_form(client, f"/discharge/referrals/{referral_id}/request", data)
    assert first.status_code == 303
    saved = _saved(app, referral_id)
    second = post_form(client, f"/discharge/referrals/{referral_id}/request", data)
    assert count(app, SeniorReview) == 1
    assert len(events(app, "discharge.requested")) == 1
    assert _saved(app, referral_id) == saved
    # The double click is the same request, already sent: the user lands on the referral, told so (as the other
    # one-time-token forms do), not on a conflict page about their own first click.
    assert second.status_code == 303, pages.page_text(second)[:2000]
    assert second.headers["Location"] == f"/referrals/{referral_id}"
    assert "This request was already sent to a senior." in pages.page_text(client.get(second.headers["Location"]))


#: case -> (form data over a valid request, field whose error is shown, message): the domain's rule and one of the
#: form's own (tests/blueprints/test_form_rules.py has the rest)
BAD_REQUEST = {
    "no reason": ({"reason": None}, "reason", "Select the reason for discharge"),
    "blank explanation": ({"reason_text": " \r\n  "}, "reason_text", "Explain why the referral should be discharged"),
}


@pytest.mark.parametrize("case", BAD_REQUEST)
def test_a_bad_request_is_shown_again_and_nothing_is_saved(app, client, login_as, case):
    referral_id = _treated(app)
    login_as("clinician")
    changes, field, message = BAD_REQUEST[case]
    data = {k: v for k, v in {**_request_form(client, referral_id), **changes}.items() if v is not None}
    before = _saved(app, referral_id)
    response = post_form(client, f"/discharge/referrals/{referral_id}/request", data)
    body = pages.shown_again(response, field, message)
    assert "Appointments and missed appointments" in body, "the page is shown whole again"
    assert _saved(app, referral_id) == before
    assert count(app, SeniorReview) == 0


def test_non_attendance_is_refused_while_a_barrier_check_is_open(app, client, login_as, missed):
    login_as("clinician")
    referral_id = missed["referral_id"]
    before = _saved(app, referral_id)
    response = post_form(client, f"/discharge/referrals/{referral_id}/request",
                         _request_form(client, referral_id, reason="non_attendance",
                                       reason_text="Missed the first appointment"))
    assert response.status_code == 400
    body = pages.page_text(response)
    error = body.index('id="reason-error"')
    assert NOT_WHILE_CHECK_OPEN in body[error:error + 400]
    assert re.search(r'value="non_attendance"[^>]*checked|checked[^>]*value="non_attendance"', body), "kept"
    assert "Missed the first appointment" in body
    assert _saved(app, referral_id) == before
    assert stored_row(app, Referral, referral_id).state == "accepted"


def test_a_request_while_an_appointment_is_booked_is_refused(app, client, login_as):
    with app.app_context():
        booker = staff(db.session, "booking")
        referral = make_referral(db.session, given_name="Booked")
        accept(db.session, booker, referral)
        book(db.session, booker, referral, datetime.now(UTC) + timedelta(days=3))
        db.session.commit()
        referral_id = referral.id
    login_as("clinician")
    before = _saved(app, referral_id)
    response = post_form(client, f"/discharge/referrals/{referral_id}/request", _request_form(client, referral_id))
    assert response.status_code == 400
    assert "Cancel or record the outcome of the booked appointments first" in pages.page_text(response)
    assert _saved(app, referral_id) == before


def test_a_booking_user_may_not_request_discharge(app, client, login_as):
    referral_id = _treated(app)
    user_id = login_as("booking")
    assert client.get(f"/discharge/referrals/{referral_id}/request").status_code == 403
    before = _saved(app, referral_id)
    response = post_form(client, f"/discharge/referrals/{referral_id}/request",
                         {"reason": "treatment_complete", "reason_text": "Done", "version": "4"})
    assert response.status_code == 403
    assert stored_row(app, Referral, referral_id).state == "in_treatment"
    assert count(app, SeniorReview) == 0
    assert [json.loads(e.data)["endpoint"] for e in events(app, "access.denied") if e.actor_id == user_id] == [
        "discharge.request_discharge", "discharge.request_discharge"]
    assert _saved(app, referral_id)[:3] == before[:3]
    assert "Request discharge" not in pages.page_text(client.get(f"/referrals/{referral_id}")), "not offered either"


def test_an_unknown_referral_is_404(client, login_as):
    login_as("clinician")
    assert client.get("/discharge/referrals/999999/request").status_code == 404
    assert post_form(client, "/discharge/referrals/999999/request",
                     {"reason": "other", "reason_text": "x", "version": "1"}).status_code == 404


# -- the senior's queue ----------------------------------------------------------------------------------------

def test_the_queue_lists_reviews_oldest_first(app, client, login_as):
    now = datetime.now(UTC).replace(microsecond=0)
    newer = _treated(app, "Newerreview")
    older = _treated(app, "Olderreview")
    _request(app, newer, reason="patient_choice", text="Wants to stop for now", now=now - timedelta(hours=1))
    _request(app, older, reason="moved_away", text="Moved to Cornwall", now=now - timedelta(days=2))
    login_as("senior")
    response = client.get("/discharge/reviews")
    assert response.status_code == 200
    body = pages.page_text(response)
    assert "<h1>Senior review</h1>" in body
    assert "2 reviews waiting." in body
    assert body.index("Olderreview SAMPLETON") < body.index("Newerreview SAMPLETON"), "oldest first"
    row = pages.row_naming(body, "Olderreview SAMPLETON")
    assert "Discharge request" in row
    assert "Moved to Cornwall" in row
    assert (now - timedelta(days=2)).astimezone(LONDON).strftime("%d %b %Y") in row, "waiting since, UK date"
    with app.app_context():
        review_id = reviews.pending_review(db.session, older).id
    assert f'href="/discharge/reviews/{review_id}"' in row
    assert 'hx-get="/discharge/reviews"' in body
    assert "HX-Request" in response.headers.get("Vary", "")


def test_the_queue_fragment_answers_htmx_alone(app, client, login_as, requested):
    login_as("senior")
    response = client.get("/discharge/reviews", headers=HTMX)
    assert response.status_code == 200
    assert "HX-Request" in response.headers.get("Vary", "")
    part = pages.page_text(response)
    assert "<html" not in part
    assert "<h1>" not in part
    assert "every 60s" not in part, "the fragment goes inside the poller"
    assert "1 review waiting." in part
    assert "Treated SAMPLETON" in part
    restored = client.get("/discharge/reviews", headers={**HTMX, "HX-History-Restore-Request": "true"})
    assert "<html" in restored.get_data(as_text=True), "a history restore gets the full page"


# -- the review page -------------------------------------------------------------------------------------------

def test_the_review_page_shows_the_banner_the_request_and_the_form(app, client, login_as, requested):
    login_as("senior")
    body = pages.page_about(client, f"/discharge/reviews/{requested['review_id']}", "Treated SAMPLETON",
                      "Senior review: Discharge request")
    assert "Treatment complete" in body
    assert "Goals met, agreed with the patient" in body
    assert "Appointments and missed appointments" in body
    assert "Attended" in body
    assert LOST_CONTACT not in body
    assert "Before discharge" not in body, "nothing blocks this discharge"
    assert "No safeguarding concerns recorded for this patient." in body
    names = pages.field_names(body)
    assert {"decision", "rationale", "plan", "return_to", "concern_category", "concern_text", "version",
            "csrf_token"} <= names
    assert "safe_despite_concern" not in names, "asked only while a concern is open"
    assert pages.version_in(body) == str(stored_row(app, Referral, requested["referral_id"]).version)
    assert '<option value="lost_contact" selected' not in body
    assert client.get("/discharge/reviews/999999").status_code == 404


def test_lost_contact_prompts_the_safeguarding_route(app, client, login_as, missed):
    _unreached(app, missed["referral_id"])
    with app.app_context():
        review = reviews.pending_review(db.session, missed["referral_id"])
        assert review.kind == "attendance", "three unreached attempts put it on the list"
        review_id = review.id
    login_as("senior")
    body = pages.page_text(client.get(f"/discharge/reviews/{review_id}"))
    assert "<h1>Senior review: Missed appointments or not reached</h1>" in body
    callout = body[body.index(LOST_CONTACT):]
    assert "has not been reached after 3 contact attempts" in callout[:600]
    assert re.search(r'<option value="lost_contact" selected', body), "the kind of concern is filled in"
    before = body[body.index("Before discharge"):]
    assert CHECK_OPEN in before[:600], "the open barrier check blocks discharge"


def test_two_unreached_attempts_are_not_lost_contact(app, client, login_as, missed):
    _unreached(app, missed["referral_id"], times=2)
    review_id = _request(app, missed["referral_id"], reason="patient_choice", text="Says they feel better")
    login_as("senior")
    body = pages.page_text(client.get(f"/discharge/reviews/{review_id}"))
    assert LOST_CONTACT not in body
    assert '<option value="lost_contact" selected' not in body
    assert CHECK_OPEN in body


def test_an_attempt_that_reaches_the_patient_resets_lost_contact(app, client, login_as, missed):
    _unreached(app, missed["referral_id"], times=3)
    with app.app_context():
        check = dna.open_check_for(db.session, missed["referral_id"])
        dna.log_attempt(db.session, staff(db.session, "booking"), check, "telephone", True, None)
        db.session.commit()
        review_id = reviews.pending_review(db.session, missed["referral_id"]).id
    login_as("senior")
    assert LOST_CONTACT not in pages.page_text(client.get(f"/discharge/reviews/{review_id}"))


# -- decisions -------------------------------------------------------------------------------------------------

def _decide(app, client, review_id: int, referral_id: int, **data):
    return post_form(client, f"/discharge/reviews/{review_id}/decision",
                     {"rationale": "Discussed with the patient", "plan": "", "concern_category": "",
                      "concern_text": "", "version": str(stored_row(app, Referral, referral_id).version), **data})


def test_a_senior_approves_another_users_request(app, client, login_as, requested):
    senior_id = login_as("senior")
    referral_id = requested["referral_id"]
    response = _decide(app, client, requested["review_id"], referral_id, decision="approved")
    assert response.status_code == 303
    assert response.headers["Location"] == "/discharge/reviews"
    queue = pages.page_text(client.get("/discharge/reviews"))
    assert "Decision recorded: the referral is now discharged." in queue
    assert "0 reviews waiting." in queue
    referral = stored_row(app, Referral, referral_id)
    assert (referral.state, referral.discharge_reason) == ("discharged", "treatment_complete")
    assert referral.discharged_at is not None
    review = stored_row(app, SeniorReview, requested["review_id"])
    assert (review.decision, review.decided_by, review.rationale, review.outcome_state) == (
        "approved", senior_id, "Discussed with the patient", "discharged")
    [event] = events(app, "referral.discharged")
    assert (event.actor_id, event.referral_id) == (senior_id, referral_id)
    assert json.loads(event.data)["rationale"] == "Discussed with the patient"

    page = pages.page_text(client.get(f"/referrals/{referral_id}"))
    assert "<strong>Discharged</strong>" in page
    assert "(Treatment complete). This referral is read-only." in page
    assert f'href="/intake/referrals/{referral_id}/re-refer">Re-refer this patient' in page
    assert "Request discharge" not in page
    assert "Raise a safeguarding concern" not in page
    assert "Waiting for senior review" not in page
    decided = pages.page_text(client.get(f"/discharge/reviews/{requested['review_id']}"))
    assert "Approve on " in decided, "a decided review shows the decision"
    assert 'action="/discharge/reviews/' not in decided, "and no form to decide it again"


def test_a_decided_review_takes_no_second_decision(app, client, login_as, requested):
    login_as("senior")
    version = str(stored_row(app, Referral, requested["referral_id"]).version)
    assert _decide(app, client, requested["review_id"], requested["referral_id"],
                   decision="approved").status_code == 303
    before = _saved(app, requested["referral_id"])
    again = post_form(client, f"/discharge/reviews/{requested['review_id']}/decision",
                      {"decision": "continue", "rationale": "Changed my mind", "plan": "See again", "version":
                       str(stored_row(app, Referral, requested["referral_id"]).version)})
    assert again.status_code == 303
    assert again.headers["Location"] == f"/discharge/reviews/{requested['review_id']}"
    shown = pages.page_text(client.get(again.headers["Location"]))
    assert "This review has already been decided." in shown
    assert "Record decision" not in shown, "the decided review shows its decision, not the form"
    assert _saved(app, requested["referral_id"]) == before
    stale = post_form(client, f"/discharge/reviews/{requested['review_id']}/decision",
                      {"decision": "continue", "rationale": "Old tab", "plan": "See again", "version": version})
    pages.conflict(stale, "referral")
    assert _saved(app, requested["referral_id"]) == before


def test_four_eyes_the_senior_who_asked_may_not_approve(app, client, login_as):
    referral_id = _treated(app)
    senior_id = login_as("senior")
    assert post_form(client, f"/discharge/referrals/{referral_id}/request",
                     _request_form(client, referral_id)).status_code == 303
    with app.app_context():
        review_id = reviews.pending_review(db.session, referral_id).id
    before = _saved(app, referral_id)
    response = _decide(app, client, review_id, referral_id, decision="approved")
    assert response.status_code == 400
    body = pages.page_text(response)
    assert pages.broken_summary_links(body) == []
    assert "There is a problem" in body
    error = body.index('id="decision-error"')
    assert FOUR_EYES in body[error:error + 400]
    assert _saved(app, referral_id) == before
    assert stored_row(app, Referral, referral_id).state == "discharge_review"
    assert stored_row(app, SeniorReview, review_id).decided_at is None
    assert not events(app, "referral.discharged")

    # another senior may
    with app.app_context():
        make_user(db.session, "senior", "second.senior")
        db.session.commit()
    other = app.test_client()
    assert pages.sign_in(other, "second.senior").status_code == 303
    assert _decide(app, other, review_id, referral_id, decision="approved").status_code == 303
    assert stored_row(app, Referral, referral_id).state == "discharged"
    assert stored_row(app, SeniorReview, review_id).decided_by != senior_id


@pytest.mark.parametrize(("return_to", "state"), [("treatment", "in_treatment"), ("", "in_treatment")])
def test_continue_engagement_returns_to_treatment_with_the_plan(app, client, login_as, requested, return_to, state):
    senior_id = login_as("senior")
    response = _decide(app, client, requested["review_id"], requested["referral_id"], decision="continue",
                       plan="Offer an evening video appointment", return_to=return_to)
    assert response.status_code == 303
    assert stored_row(app, Referral, requested["referral_id"]).state == state
    review = stored_row(app, SeniorReview, requested["review_id"])
    assert (review.decision, review.plan, review.decided_by) == (
        "continue", "Offer an evening video appointment", senior_id)
    [event] = events(app, "engagement.continued")
    assert json.loads(event.data)["plan"] == "Offer an evening video appointment"


def test_continue_in_triage_after_first_contact_is_refused(app, client, login_as, requested):
    login_as("senior")
    before = _saved(app, requested["referral_id"])
    response = _decide(app, client, requested["review_id"], requested["referral_id"], decision="continue",
                       plan="Triage again", return_to="triage")
    assert response.status_code == 400
    body = pages.page_text(response)
    message = "This referral has had its first contact: continue treatment"
    assert message in body
    assert _saved(app, requested["referral_id"]) == before
    # The "Continue in" radios are the field that answers this: the summary links to them (id "return_to") and
    # the message sits next to them, as for every other field.
    assert pages.broken_summary_links(body) == []
    error = body.find('id="return_to-error"')
    assert error != -1, "no error message next to the Continue in radios"
    assert message in body[error:error + 400]


def test_the_safeguarding_route_raises_a_concern_and_continues(app, client, login_as, requested):
    senior_id = login_as("senior")
    referral_id = requested["referral_id"]
    response = _decide(app, client, requested["review_id"], referral_id, decision="safeguarding",
                       rationale="Possible exploitation by a new partner", concern_category="exploitation_risk",
                       concern_text="Partner answers every call and refuses visits")
    assert response.status_code == 303
    assert "Decision recorded: the referral is now in treatment." in pages.page_text(client.get("/discharge/reviews"))
    assert stored_row(app, Referral, referral_id).state == "in_treatment"
    with app.app_context():
        [concern] = db.session.scalars(select(SafeguardingConcern)).all()
        assert (concern.category, concern.concern, concern.status, concern.review_id, concern.raised_by,
                concern.referral_id) == ("exploitation_risk", "Partner answers every call and refuses visits",
                                         "open", requested["review_id"], senior_id, referral_id)
        concern_id = concern.id
    assert stored_row(app, SeniorReview, requested["review_id"]).decision == "safeguarding"
    assert [e.entity_id for e in events(app, "safeguarding.raised")] == [concern_id]
    page = pages.page_text(client.get(f"/referrals/{referral_id}"))
    banner = pages.patient_banner(page)
    assert "Safeguarding concern open" in banner
    assert "Risk of exploitation, raised" in banner
    assert "Safeguarding concerns on this referral" in page


def test_an_open_concern_blocks_approval_until_the_senior_says_why_it_is_safe(app, client, login_as):
    referral_id = _treated(app, "Concerned")
    with app.app_context():
        clinician = staff(db.session, "clinician")
        safeguarding.raise_concern(db.session, clinician, db.session.get(Referral, referral_id),
                                   ConcernDetails("self_neglect", "Home very cold"))
        db.session.commit()
    review_id = _request(app, referral_id)
    login_as("senior")
    page = pages.page_text(client.get(f"/discharge/reviews/{review_id}"))
    assert CONCERN_OPEN in page[page.index("Before discharge"):]
    assert "safe_despite_concern" in pages.field_names(page)
    assert "Self-neglect</a>, raised" in page
    before = _saved(app, referral_id)
    refused = _decide(app, client, review_id, referral_id, decision="approved")
    assert refused.status_code == 400
    body = pages.page_text(refused)
    error = body.index('id="safe_despite_concern-error"')
    assert CONCERN_OPEN in body[error:error + 400]
    assert _saved(app, referral_id) == before

    blank = _decide(app, client, review_id, referral_id, decision="approved", safe_despite_concern="   ")
    assert blank.status_code == 400
    assert _saved(app, referral_id) == before

    response = _decide(app, client, review_id, referral_id, decision="approved",
                       safe_despite_concern="Moved in with daughter; the adult team holds the concern")
    assert response.status_code == 303
    assert stored_row(app, Referral, referral_id).state == "discharged"
    assert stored_row(app, SeniorReview, review_id).safe_despite_concern == \
        "Moved in with daughter; the adult team holds the concern"
    [event] = events(app, "referral.discharged")
    assert json.loads(event.data)["safe_despite_concern"] == \
        "Moved in with daughter; the adult team holds the concern"


def test_an_open_barrier_check_blocks_approval(app, client, login_as, missed):
    _unreached(app, missed["referral_id"])
    with app.app_context():
        review_id = reviews.pending_review(db.session, missed["referral_id"]).id
    login_as("senior")
    before = _saved(app, missed["referral_id"])
    response = _decide(app, client, review_id, missed["referral_id"], decision="approved")
    assert response.status_code == 400
    body = pages.page_text(response)
    assert pages.broken_summary_links(body) == []
    error = body.index('id="decision-error"')
    assert CHECK_OPEN in body[error:error + 400]
    assert _saved(app, missed["referral_id"]) == before


#: case -> (decision form data, field whose error is shown, message): the domain's rules and one of the form's
#: own (tests/blueprints/test_form_rules.py has the rest)
BAD_DECISION = {
    "no decision": ({}, "decision", "Select the decision"),
    "blank rationale": ({"decision": "approved", "rationale": "  \n "}, "rationale",
                        "Record the rationale for the decision"),
    "continue without a plan": ({"decision": "continue"}, "plan", "Record the plan for continuing engagement"),
    "continue with a blank plan": ({"decision": "continue", "plan": " \r\n"}, "plan",
                                   "Record the plan for continuing engagement"),
    "safeguarding without a kind": ({"decision": "safeguarding", "concern_text": "Not seen for weeks"},
                                    "concern_category", "Select the kind of concern"),
    "safeguarding without the concern": ({"decision": "safeguarding", "concern_category": "lost_contact"},
                                         "concern_text", "Describe the concern"),
}


@pytest.mark.parametrize("case", BAD_DECISION)
def test_a_bad_decision_is_shown_again_and_nothing_is_saved(app, client, login_as, requested, case):
    changes, field, message = BAD_DECISION[case]
    login_as("senior")
    before = _saved(app, requested["referral_id"])
    response = _decide(app, client, requested["review_id"], requested["referral_id"], **changes)
    body = pages.shown_again(response, field, message)
    assert "Treated SAMPLETON" in pages.patient_banner(body)
    assert _saved(app, requested["referral_id"]) == before
    assert stored_row(app, SeniorReview, requested["review_id"]).decided_at is None


def test_what_was_typed_is_kept_when_the_decision_is_shown_again(app, client, login_as, requested):
    login_as("senior")
    response = _decide(app, client, requested["review_id"], requested["referral_id"], decision="safeguarding",
                       rationale="Keep this rationale", concern_category="self_neglect", concern_text="")
    assert response.status_code == 400
    body = pages.page_text(response)
    assert "Keep this rationale</textarea>" in body
    assert '<option value="self_neglect" selected' in body
    assert re.search(r'value="safeguarding"[^>]*checked|checked[^>]*value="safeguarding"', body)


# -- who may reach the senior review -----------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES_REFUSED)
def test_only_a_senior_reaches_the_queue_the_review_and_the_decision(app, client, login_as, requested, role):
    user_id = login_as(role)
    before = _saved(app, requested["referral_id"])
    assert client.get("/discharge/reviews").status_code == 403
    assert client.get("/discharge/reviews", headers=HTMX).status_code == 403
    assert client.get(f"/discharge/reviews/{requested['review_id']}").status_code == 403
    response = post_form(client, f"/discharge/reviews/{requested['review_id']}/decision",
                         {"decision": "approved", "rationale": "Mine to decide",
                          "version": str(stored_row(app, Referral, requested["referral_id"]).version)})
    assert response.status_code == 403
    assert _saved(app, requested["referral_id"])[:3] == before[:3]
    denied = [json.loads(e.data)["endpoint"] for e in events(app, "access.denied") if e.actor_id == user_id]
    assert denied == ["discharge.review_queue", "discharge.review_queue", "discharge.show_review",
                      "discharge.decide_review"]
    with app.app_context():
        assert not db.session.scalars(select(Event).where(Event.action == "record.viewed",
                                                          Event.actor_id == user_id)).all(), \
            "a refused page reads no patient record"


def test_a_decision_without_the_csrf_token_is_refused(app, client, login_as, requested):
    login_as("senior")
    before = _saved(app, requested["referral_id"])
    response = client.post(f"/discharge/reviews/{requested['review_id']}/decision",
                           data={"decision": "approved", "rationale": "Forged",
                                 "version": str(stored_row(app, Referral, requested["referral_id"]).version)})
    assert response.status_code == 400
    assert _saved(app, requested["referral_id"]) == before
    request = client.post(f"/discharge/referrals/{_treated(app, 'Forged')}/request",
                          data={"reason": "other", "reason_text": "Forged", "version": "4"})
    assert request.status_code == 400
    assert count(app, SeniorReview) == 1


def test_a_refused_second_decision_links_its_message_to_something_on_the_page(app, client, login_as, requested):
    """Two seniors on one review: the second is told it was decided. The decided page has no form, so the error
    summary's link must not point at the (absent) decision radios."""
    login_as("senior")
    assert _decide(app, client, requested["review_id"], requested["referral_id"],
                   decision="approved").status_code == 303
    again = _decide(app, client, requested["review_id"], requested["referral_id"], decision="continue",
                    plan="See again")
    assert again.status_code == 303
    body = pages.page_text(client.get(again.headers["Location"]))
    assert "This review has already been decided." in body
    assert "nhsuk-error-summary" not in body, "a notice, not a summary linking to a form that is not there"


# -- what staff noticed ------------------------------------------------------------------------------------------

def _missed_twice(app) -> int:
    """An accepted referral with two missed appointments (the first check completed): on the senior review list."""
    with app.app_context():
        clinician = staff(db.session, "clinician")
        referral = make_referral(db.session, given_name="Twice",
                                 received_at=(datetime.now(UTC) - timedelta(days=9)).strftime("%Y-%m-%d %H:%M"))
        first = miss(db.session, clinician, referral, ago=timedelta(days=7))
        dna.complete_barrier_check(db.session, clinician, first, first.version, "rebooked")
        miss(db.session, clinician, referral, ago=timedelta(days=1))
        db.session.commit()
        assert reviews.pending_review(db.session, referral.id).reason_text == "2 missed appointments"
        return referral.id


def test_a_referral_on_the_senior_review_list_offers_no_discharge_request_and_says_where_it_is(
        app, client, login_as):
    referral_id = _missed_twice(app)
    login_as("clinician")
    body = pages.page_text(client.get(f"/referrals/{referral_id}"))
    assert f"/discharge/referrals/{referral_id}/request" not in body
    assert "Waiting for senior review:</strong> Missed appointments or not reached since" in body


def test_the_queue_says_how_many_appointments_were_missed_once(app, client, login_as):
    _missed_twice(app)
    login_as("senior")
    row = pages.row_naming(pages.page_text(client.get("/discharge/reviews")), "Twice")
    assert "2 missed appointments" in row
    assert "2 missed appointments; 2 missed" not in row


@pytest.mark.parametrize(("kind", "wording"), [
    ("discharge", "You asked for this discharge, so another senior must approve it; you may still continue "
                  "engagement or choose the safeguarding route."),
    ("rejection", "You proposed this rejection, so another senior must uphold it; you may still return the "
                  "referral to triage or choose the safeguarding route."),
])
def test_a_senior_reading_their_own_proposal_is_told_what_they_may_still_do(app, client, login_as, kind, wording):
    senior_id = login_as("senior")
    if kind == "discharge":
        review_id = _request(app, _treated(app), by=senior_id)
    else:
        from inclusive_access.models import User
        from tests.blueprints.records import propose_rejection

        with app.app_context():
            from inclusive_access.domain.actors import actor_for
            referral = make_referral(db.session, housing_status="temporary")
            propose_rejection(db.session, actor_for(db.session.get(User, senior_id)), referral)
            db.session.commit()
            review_id = reviews.pending_review(db.session, referral.id).id
    body = pages.page_text(client.get(f"/discharge/reviews/{review_id}"))
    assert wording in body
    assert body.count("another senior must") == 1
