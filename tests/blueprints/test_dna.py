"""Barrier-check pages: the worklist, the check saved section by section (htmx fragment or plain post), what is
left and the 14-day deadline, was-not-brought, bad input per form, stale saves, and the booking rules around an
open check (refused, or overridden by a clinician with a reason)."""
import html
import json
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from inclusive_access.domain import dna, reviews
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.models import (
    Appointment,
    BarrierCheck,
    BarrierContactAttempt,
    Event,
    ReasonableAdjustment,
    Referral,
    SafeguardingConcern,
)
from inclusive_access.template_filters import days_ago
from tests.blueprints import pages
from tests.blueprints.records import accept, count, events, miss
from tests.conftest import post_form
from tests.factories import book, make_referral, staff

IN_FIVE_DAYS = (date.today() + timedelta(days=5)).isoformat()
HTMX = {"HX-Request": "true"}
LEFT_BARRIERS = "Record the barriers found (or none)"
LEFT_ATTEMPT = "Log at least one contact attempt"
LEFT_SAFEGUARDING = "Answer the safeguarding question (was not brought)"
LEFT_OUTCOME = "Record the outcome"
BLOCKED = "Complete the barrier check for the missed appointment before rebooking."


def _left(body: str) -> list[str]:
    """The "Still to do" items the check shows ([] once everything is recorded)."""
    box = re.search(r'<div class="nhsuk-inset-text" id="what-is-left">(.*?)</div>', body, re.S)
    assert box, "no what-is-left box"
    return [html.unescape(item).strip() for item in re.findall(r"<li>(.*?)</li>", box.group(1), re.S)]


def _checked(body: str, name: str, value: str) -> bool:
    for tag in re.findall(rf'<input\b[^>]*\bname="{name}"[^>]*>', body):
        if f'value="{value}"' in tag:
            return bool(re.search(r"\bchecked\b", tag))
    raise AssertionError(f"no {name}={value} input")


def _make_check(app, given_name: str = "Missed", ago: timedelta = timedelta(days=3, hours=1), **patient) -> dict:
    """An accepted referral whose telephone appointment `ago` was recorded as a DNA: its open barrier check."""
    with app.app_context():
        patient.setdefault("received_at", (datetime.now(UTC) - ago - timedelta(days=1)).strftime("%Y-%m-%d %H:%M"))
        referral = make_referral(db.session, given_name=given_name, **patient)
        check = miss(db.session, staff(db.session, "clinician", f"maker.{given_name.lower()}"), referral, ago)
        db.session.commit()
        return {"check_id": check.id, "referral_id": referral.id, "patient_id": referral.patient_id,
                "appointment_id": check.appointment_id, "missed_at": check.missed_at,
                "was_not_brought": check.was_not_brought, "url": f"/barrier-checks/{check.id}"}


@pytest.fixture
def missed(app):
    """An adult who came alone to nothing: a DNA three days ago, not "was not brought"."""
    ids = _make_check(app)
    assert ids["was_not_brought"] is False
    return ids


@pytest.fixture
def not_brought(app):
    """An adult with a learning disability, who depends on someone to attend: "was not brought"."""
    ids = _make_check(app, "Broughtless", learning_disability="yes")
    assert ids["was_not_brought"] is True
    return ids


def _check(app, check_id: int) -> BarrierCheck:
    with app.app_context():
        check = db.session.get(BarrierCheck, check_id)
        _ = check.attempts, check.referral
        db.session.expunge_all()
        return check


def _saved(app, check_id: int) -> tuple:
    """Everything the check's forms may change: the check, its attempts, adjustments, bookings, referral flags,
    and the events other than views."""
    with app.app_context():
        check = db.session.execute(select(
            BarrierCheck.barriers, BarrierCheck.other_barrier, BarrierCheck.safeguarding, BarrierCheck.outcome,
            BarrierCheck.alternative_format, BarrierCheck.adjustment_id, BarrierCheck.completed_at,
            BarrierCheck.version).where(BarrierCheck.id == check_id)).one()
        referrals = db.session.execute(select(Referral.id, Referral.version, Referral.senior_review_flagged_at)).all()
    return (tuple(check), sorted(referrals), count(app, BarrierContactAttempt), count(app, ReasonableAdjustment),
            count(app, Appointment), count(app, Event, Event.action != "record.viewed"))


def _attempt(client, ids: dict, headers=None, **data):
    return post_form(client, f"{ids['url']}/attempts", {"method": "telephone", "reached": "yes", "note": "", **data},
                     headers=headers or {})


def _complete(app, client, ids: dict, headers=None, **data):
    return post_form(client, f"{ids['url']}/complete",
                     {"outcome": "rebooked", "alternative_format": "", "adjustment_category": "",
                      "adjustment_description": "", "consent_basis": "patient",
                      "version": str(_check(app, ids["check_id"]).version), **data}, headers=headers or {})


# -- the worklist ----------------------------------------------------------------------------------------------

def test_the_worklist_shows_open_checks_with_days_since_the_dna_and_their_tags(app, client, login_as):
    plain = _make_check(app, "Plainmissed", timedelta(days=3, hours=1))
    brought = _make_check(app, "Broughtless", timedelta(days=5, hours=1), learning_disability="yes")
    review = _make_check(app, "Unreachable", timedelta(days=1, hours=1))
    done = _make_check(app, "Completed", timedelta(days=2, hours=1))
    with app.app_context():
        actor = staff(db.session, "clinician", "worker")
        check = db.session.get(BarrierCheck, review["check_id"])
        for _ in range(3):
            dna.log_attempt(db.session, actor, check, "telephone", False, None)
        finished = db.session.get(BarrierCheck, done["check_id"])
        dna.complete_barrier_check(db.session, actor, finished, finished.version, "rebooked")
        db.session.commit()
    login_as("booking")
    body = pages.open_page(client, "/barrier-checks/", "Barrier checks")
    assert "3 open barrier checks." in body
    assert "Completed SAMPLETON" not in body, "a completed check leaves the worklist"
    rows = {name: pages.row_naming(body, f"{name} SAMPLETON") for name in ("Plainmissed", "Broughtless", "Unreachable")}
    for name, made in (("Plainmissed", plain), ("Broughtless", brought), ("Unreachable", review)):
        assert days_ago(made["missed_at"]) in rows[name], "days since the DNA, counted in calendar days"
    assert plain["missed_at"].astimezone(LONDON).strftime("%d %b %Y") in rows["Plainmissed"]
    assert "Was not brought" in rows["Broughtless"]
    assert "Was not brought" not in rows["Plainmissed"] + rows["Unreachable"]
    assert "Needs senior review" in rows["Unreachable"]
    assert "Needs senior review" not in rows["Plainmissed"] + rows["Broughtless"]
    assert 'Contact attempts </span><div class="app-table-value">3</div>' in rows["Unreachable"], "three attempts"
    assert 'Contact attempts </span><div class="app-table-value">0</div>' in rows["Plainmissed"]
    assert f'href="/barrier-checks/{brought["check_id"]}"' in rows["Broughtless"]
    assert "Musculoskeletal (MSK)" in rows["Plainmissed"]

    fragment = client.get("/barrier-checks/", headers=HTMX)
    assert fragment.status_code == 200
    assert "HX-Request" in fragment.headers.get("Vary", "")
    part = pages.page_text(fragment)
    assert "<html" not in part
    assert "3 open barrier checks." in part
    assert "Broughtless SAMPLETON" in part


def test_the_worklist_shows_the_patients_adjustments(app, client, login_as, missed):
    with app.app_context():
        from tests.blueprints.records import record_adjustment

        record_adjustment(db.session, staff(db.session, "clinician", "adjuster"),
                          db.session.get(Referral, missed["referral_id"]).patient, "timing", "Evening appointments")
        db.session.commit()
    login_as("senior")
    row = pages.row_naming(pages.page_text(client.get("/barrier-checks/")), "Missed SAMPLETON")
    assert "RA</span> Timing: Evening appointments" in row


# -- the check page --------------------------------------------------------------------------------------------

def test_the_check_page_shows_the_deadline_and_what_is_left(app, client, login_as, missed):
    login_as("clinician")
    body = pages.open_page(client, missed["url"])
    banner = pages.patient_banner(body)
    assert "Missed SAMPLETON" in banner
    assert "<h1>Barrier check after a missed appointment</h1>" in body
    deadline = (missed["missed_at"] + timedelta(days=14)).astimezone(LONDON).strftime("%d %b %Y")
    rebook_by = body[body.index("Rebook by"):body.index("Status")]
    assert deadline in rebook_by, "14 days from the missed appointment"
    assert "Not rebooked yet" in rebook_by
    assert missed["missed_at"].astimezone(LONDON).strftime("%d %b %Y %H:%M") + ", Telephone" in body
    assert "(was not brought)" not in body
    assert _left(body) == [LEFT_BARRIERS, LEFT_ATTEMPT, LEFT_OUTCOME]
    assert "None yet." in body, "no contact attempts"
    assert {"barriers", "other_barrier", "method", "reached", "note", "outcome", "alternative_format",
            "adjustment_category", "adjustment_description", "consent_basis", "version", "csrf_token"} <= \
        pages.field_names(body), "the test posts only fields the page has"
    assert "safeguarding" not in pages.field_names(body), "only asked when the patient was not brought"
    assert pages.version_in(body) == "1"
    for section in ("barriers", "attempts", "complete"):
        assert f'hx-post="/barrier-checks/{missed["check_id"]}/{section}"' in body
        assert f'action="/barrier-checks/{missed["check_id"]}/{section}"' in body, "works without JavaScript too"
    assert client.get("/barrier-checks/999999").status_code == 404


def test_the_check_page_for_a_patient_not_brought_asks_the_safeguarding_question(client, login_as, not_brought):
    login_as("clinician")
    body = pages.page_text(client.get(not_brought["url"]))
    assert "(was not brought)" in body
    assert _left(body) == [LEFT_BARRIERS, LEFT_ATTEMPT, LEFT_SAFEGUARDING, LEFT_OUTCOME]
    assert "safeguarding" in pages.field_names(body)
    assert "Safeguarding: this patient was not brought. Is there a concern?" in body


def test_booking_staff_record_barriers_and_attempts_but_leave_the_judgements_to_a_clinician(app, client, login_as,
                                                                                           not_brought):
    login_as("booking")
    body = pages.page_text(client.get(not_brought["url"]))
    assert _left(body) == [LEFT_BARRIERS, LEFT_ATTEMPT, LEFT_SAFEGUARDING, LEFT_OUTCOME], "they see what is left"
    assert {"barriers", "other_barrier", "method", "reached", "note"} <= pages.field_names(body)
    assert not {"safeguarding", "outcome"} & pages.field_names(body), "no safeguarding answer, no outcome"
    assert "/complete" not in body
    assert "A clinician or senior answers the safeguarding question." in body
    assert "A clinician or senior records the outcome and completes the check." in body

    assert _complete(app, client, not_brought, outcome="rebooked").status_code == 403
    before = _saved(app, not_brought["check_id"])
    answered = post_form(client, f"{not_brought['url']}/barriers",
                         {"barriers": "cognition", "safeguarding": "no_concern", "version": "1"})
    assert answered.status_code == 403, "a forged safeguarding answer is refused by the domain"
    assert _saved(app, not_brought["check_id"]) == before

    saved = post_form(client, f"{not_brought['url']}/barriers", {"barriers": "cognition", "version": "1"},
                      headers=HTMX)
    assert saved.status_code == 200
    assert _attempt(client, not_brought, reached="yes").status_code == 303
    check = _check(app, not_brought["check_id"])
    assert (check.barriers, len(check.attempts), check.safeguarding, check.completed_at) == (
        ["cognition"], 1, None, None)
    assert _left(pages.page_text(client.get(not_brought["url"]))) == [LEFT_SAFEGUARDING, LEFT_OUTCOME]


def test_the_check_page_says_when_the_deadline_has_passed(app, client, login_as):
    late = _make_check(app, "Late", timedelta(days=15))
    login_as("clinician")
    body = pages.page_text(client.get(late["url"]))
    assert "Not rebooked within 14 days" in body[body.index("Rebook by"):body.index("Status")]


# -- saving the barriers ---------------------------------------------------------------------------------------

def test_saving_barriers_via_htmx_returns_the_section_with_what_is_left(app, client, login_as, missed):
    user_id = login_as("booking")
    response = post_form(client, f"{missed['url']}/barriers",
                         {"barriers": ["childcare", "other"], "other_barrier": "Caring for a parent", "version": "1"},
                         headers=HTMX)
    assert response.status_code == 200
    assert "HX-Request" in response.headers.get("Vary", "")
    body = pages.page_text(response)
    assert "<html" not in body, "a fragment, swapped into the page"
    assert "<h1>" not in body
    assert _left(body) == [LEFT_ATTEMPT, LEFT_OUTCOME], "the barriers are done"
    assert _checked(body, "barriers", "childcare")
    assert _checked(body, "barriers", "other")
    assert not _checked(body, "barriers", "work")
    assert 'value="Caring for a parent"' in body
    assert pages.version_in(body) == "2", "the next save carries the new version"
    check = _check(app, missed["check_id"])
    assert (check.barriers, check.other_barrier, check.version, check.completed_at) == (
        ["childcare", "other"], "Caring for a parent", 2, None)
    [event] = events(app, "barrier_check.updated")
    assert (event.actor_id, event.entity_id, event.referral_id) == (user_id, missed["check_id"], missed["referral_id"])
    assert json.loads(event.data)["barriers"] == ["childcare", "other"]


def test_saving_barriers_with_a_plain_post_redirects_to_the_check(app, client, login_as, missed):
    login_as("clinician")
    response = post_form(client, f"{missed['url']}/barriers", {"barriers": "transport_cost", "version": "1"})
    assert response.status_code == 303
    assert response.headers["Location"] == missed["url"]
    body = pages.page_text(client.get(missed["url"]))
    assert "Barriers saved." in body
    assert _checked(body, "barriers", "transport_cost")
    assert _left(body) == [LEFT_ATTEMPT, LEFT_OUTCOME]
    assert _check(app, missed["check_id"]).barriers == ["transport_cost"]

    # "none found" is an answer too, distinct from "not yet recorded": saving with nothing ticked clears them
    again = post_form(client, f"{missed['url']}/barriers", {"version": "2"})
    assert again.status_code == 303
    assert _check(app, missed["check_id"]).barriers == []
    assert _left(pages.page_text(client.get(missed["url"]))) == [LEFT_ATTEMPT, LEFT_OUTCOME]


# -- contact attempts ------------------------------------------------------------------------------------------

def test_logging_attempts_lists_them_and_updates_what_is_left(app, client, login_as, missed):
    user_id = login_as("booking")
    first = _attempt(client, missed, method="text", reached="no", note="No reply")
    assert first.status_code == 303
    assert first.headers["Location"] == missed["url"]
    page = pages.page_text(client.get(missed["url"]))
    assert "Contact attempt logged." in page
    assert "text, not reached (No reply)" in page
    assert _left(page) == [LEFT_BARRIERS, LEFT_OUTCOME]

    second = _attempt(client, missed, headers=HTMX, method="home_visit", reached="yes", note="")
    assert second.status_code == 200
    part = pages.page_text(second)
    assert "<html" not in part
    assert "text, not reached (No reply)" in part
    assert "home visit, reached" in part
    with app.app_context():
        rows = db.session.execute(select(BarrierContactAttempt.method, BarrierContactAttempt.reached,
                                         BarrierContactAttempt.note, BarrierContactAttempt.recorded_by)
                                  .order_by(BarrierContactAttempt.id)).all()
    assert [tuple(r) for r in rows] == [("text", False, "No reply", user_id), ("home_visit", True, None, user_id)]
    assert [json.loads(e.data)["reached"] for e in events(app, "barrier_check.contact_attempted")] == [False, True]
    assert _check(app, missed["check_id"]).version == 1, "an attempt does not make the other sections stale"


def test_three_unreached_attempts_put_the_referral_on_senior_review(app, client, login_as, missed):
    login_as("clinician")
    for _ in range(2):
        assert _attempt(client, missed, reached="no").status_code == 303
    assert _check(app, missed["check_id"]).referral.senior_review_flagged_at is None
    assert "Needs senior review" not in pages.page_text(client.get("/barrier-checks/"))
    assert _attempt(client, missed, reached="no", headers=HTMX).status_code == 200
    referral = _check(app, missed["check_id"]).referral
    assert referral.senior_review_flagged_at is not None
    assert referral.senior_review_reason == "Not reached after 3 contact attempts"
    assert len(events(app, "referral.senior_review_flagged")) == 1
    listed = pages.page_text(client.get("/barrier-checks/"))
    assert "Needs senior review" in pages.row_naming(listed, "Missed SAMPLETON")


# -- completing the check --------------------------------------------------------------------------------------

def test_completing_with_an_alternative_and_an_adjustment_goes_to_booking(app, client, login_as, missed):
    user_id = login_as("clinician")
    assert post_form(client, f"{missed['url']}/barriers", {"barriers": "childcare", "version": "1"}).status_code == 303
    assert _attempt(client, missed, reached="yes", note="Childcare in the day").status_code == 303
    before_left = _left(pages.page_text(client.get(missed["url"])))
    assert before_left == [LEFT_OUTCOME]
    response = _complete(app, client, missed, outcome="alternative_offered", alternative_format="evening",
                         adjustment_category="timing", adjustment_description="Evening appointments (childcare)")
    assert response.status_code == 303
    booking_url = f"/appointments/referrals/{missed['referral_id']}"
    assert response.headers["Location"] == booking_url
    page = pages.page_text(client.get(booking_url))
    assert "Barrier check complete. You can now book the next appointment." in page
    assert "Barrier check open" not in page
    banner = pages.patient_banner(page)
    assert "Timing: Evening appointments (childcare)" in banner, "the new adjustment is in the banner"

    check = _check(app, missed["check_id"])
    assert (check.outcome, check.alternative_format, check.completed_by) == ("alternative_offered", "evening",
                                                                           user_id)
    assert check.completed_at is not None
    with app.app_context():
        adjustment = db.session.get(ReasonableAdjustment, check.adjustment_id)
        assert (adjustment.category, adjustment.description, adjustment.source, adjustment.consent_basis,
                adjustment.recorded_by, adjustment.recorded_role, adjustment.status) == (
            "timing", "Evening appointments (childcare)", "barrier_check", "patient", user_id, "clinician", "active")
    [completed] = events(app, "barrier_check.completed")
    assert json.loads(completed.data)["adjustment_id"] == check.adjustment_id
    assert len(events(app, "adjustment.recorded")) == 1

    shown = pages.page_text(client.get(missed["url"]))
    assert "Complete: Alternative format offered, not yet rebooked" in shown
    assert "Alternative offered: Evening slot." in shown
    assert "Barriers: Childcare" in shown
    assert "Adjustment recorded: Timing: Evening appointments (childcare)." in shown
    assert "reached (Childcare in the day)" in shown, "the full record stays readable once complete"
    assert 'id="what-is-left"' not in shown
    assert "Missed SAMPLETON" not in pages.page_text(client.get("/barrier-checks/")), "it leaves the worklist"


def test_completing_via_htmx_sends_the_browser_to_booking(app, client, login_as, missed):
    login_as("senior")
    response = _complete(app, client, missed, headers=HTMX, outcome="rebooked")
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == f"/appointments/referrals/{missed['referral_id']}"
    assert response.get_data(as_text=True) == ""
    assert _check(app, missed["check_id"]).outcome == "rebooked"


def test_rebooking_after_the_check_is_linked_and_meets_the_deadline(app, client, login_as, missed):
    login_as("clinician")
    assert _complete(app, client, missed, outcome="rebooked").status_code == 303
    data = {**_booking(client, missed["referral_id"]), "starts_at": f"{IN_FIVE_DAYS}T18:30", "format": "clinic",
            "place": "Community Hub", "duration_minutes": "30", "notes": ""}
    response = post_form(client, f"/appointments/referrals/{missed['referral_id']}", data)
    assert response.status_code == 303, pages.page_text(response)[:3000]
    check = _check(app, missed["check_id"])
    with app.app_context():
        newest = db.session.scalar(select(Appointment.id).order_by(Appointment.id.desc()).limit(1))
    assert check.rebooked_appointment_id == newest
    body = pages.page_text(client.get(missed["url"]))
    assert "Rebooked in time" in body[body.index("Rebook by"):body.index("Status")]


def test_was_not_brought_cannot_complete_without_the_safeguarding_answer(app, client, login_as, not_brought):
    login_as("clinician")
    assert _attempt(client, not_brought, reached="yes").status_code == 303
    before = _saved(app, not_brought["check_id"])
    response = _complete(app, client, not_brought, outcome="rebooked")
    assert response.status_code == 400
    body = pages.page_text(response)
    assert "There is a problem" in body
    assert 'href="#safeguarding"' in body
    error = body.index('id="safeguarding-error"')
    assert "Answer the safeguarding question: this patient was not brought" in body[error:error + 300]
    assert _saved(app, not_brought["check_id"]) == before, "not completed"
    assert LEFT_SAFEGUARDING in _left(body)

    htmx = _complete(app, client, not_brought, headers=HTMX, outcome="rebooked")
    assert htmx.status_code == 200, "htmx swaps only 2xx: the section comes back with its message"
    assert "Answer the safeguarding question: this patient was not brought" in pages.page_text(htmx)
    assert "HX-Redirect" not in htmx.headers
    assert _saved(app, not_brought["check_id"]) == before

    saved = post_form(client, f"{not_brought['url']}/barriers",
                      {"barriers": "cognition", "safeguarding": "follow_up_planned", "version": "1"}, headers=HTMX)
    assert saved.status_code == 200
    assert LEFT_SAFEGUARDING not in _left(pages.page_text(saved))
    done = _complete(app, client, not_brought, outcome="rebooked")
    assert done.status_code == 303
    check = _check(app, not_brought["check_id"])
    assert (check.safeguarding, check.outcome) == ("follow_up_planned", "rebooked")
    assert json.loads(events(app, "barrier_check.completed")[0].data)["safeguarding"] == "follow_up_planned"
    listed = pages.page_text(client.get(f"/appointments/referrals/{not_brought['referral_id']}"))
    table = listed[listed.index("Booked and past appointments"):listed.index("</table>")]
    assert "Was not brought" in table


def test_answering_concern_raised_raises_it_and_the_senior_review_page_shows_it(app, client, login_as, not_brought):
    with app.app_context():
        check = db.session.get(BarrierCheck, not_brought["check_id"])
        dna.flag_for_senior_review(db.session, staff(db.session, "clinician", "flagger"), check.referral,
                                   "Not brought twice", datetime.now(UTC))
        review_id = reviews.pending_review(db.session, not_brought["referral_id"]).id
        db.session.commit()
    login_as("clinician")
    assert {"concern_category", "concern_text"} <= pages.field_names(pages.page_text(client.get(not_brought["url"])))
    assert _attempt(client, not_brought, reached="yes").status_code == 303
    before = _saved(app, not_brought["check_id"])
    bare = post_form(client, f"{not_brought['url']}/barriers",
                     {"barriers": [], "safeguarding": "concern_raised", "version": "1"})
    assert bare.status_code == 400, "the answer alone is not a concern on the safeguarding route"
    body = pages.page_text(bare)
    error = body.index('id="concern_text-error"')
    assert "Describe the concern" in body[error:error + 300]
    assert (_saved(app, not_brought["check_id"]), count(app, SafeguardingConcern)) == (before, 0)

    raised = post_form(client, f"{not_brought['url']}/barriers",
                       {"barriers": [], "safeguarding": "concern_raised", "concern_category": "self_neglect",
                        "concern_text": "Carer says he has not left his room for a week", "version": "1"})
    assert raised.status_code == 303
    body = pages.page_text(client.get(not_brought["url"]))
    assert re.search(r"Safeguarding concern on the route: <a [^>]*>Self-neglect, raised", body)
    assert _left(body) == [LEFT_OUTCOME]
    assert _complete(app, client, not_brought, outcome="rebooked").status_code == 303

    login_as("senior")
    review = pages.page_text(client.get(f"/discharge/reviews/{review_id}"))
    assert "No safeguarding concerns recorded" not in review
    assert re.search(r"<h2>Safeguarding</h2>\s*<ul[^>]*>\s*<li><a [^>]*>Self-neglect</a>, raised [^<:]+: open</li>",
                     review)


# -- bad input -------------------------------------------------------------------------------------------------

#: case -> (section, form data, field, message): the rules that need the check or the domain, and one of the
#: form's own for the attempts, which has no other (tests/blueprints/test_form_rules.py has the rest)
BAD_INPUT = {
    "other without text": ("barriers", {"barriers": ["other"], "other_barrier": "", "version": "1"},
                           "other_barrier", "Describe the other barrier"),
    "other only spaces": ("barriers", {"barriers": ["other"], "other_barrier": "   ", "version": "1"},
                          "other_barrier", "Describe the other barrier"),
    "no method": ("attempts", {"reached": "no"}, "method", "Select how you tried to reach the patient"),
    "alternative offered but not which": ("complete", {"outcome": "alternative_offered", "version": "1"},
                                          "alternative_format", "Select which alternative was offered"),
    "not reached but no attempts logged": ("complete", {"outcome": "not_reached", "version": "1"}, "method",
                                           "Log the attempts to reach the patient first"),
    "adjustment without a description": ("complete", {"outcome": "rebooked", "adjustment_category": "timing",
                                                      "version": "1"},
                                         "adjustment_description", "Describe the adjustment"),
    "adjustment description without a kind": ("complete", {"outcome": "rebooked",
                                                           "adjustment_description": "Evenings", "version": "1"},
                                              "adjustment_category", "Select the kind of adjustment"),
    "adjustment description only spaces": ("complete", {"outcome": "rebooked", "adjustment_category": "timing",
                                                        "adjustment_description": "  ", "version": "1"},
                                           "adjustment_description", "Describe the adjustment"),
}


@pytest.mark.parametrize("mode", ["plain", "htmx"])
@pytest.mark.parametrize("case", BAD_INPUT)
def test_bad_input_is_shown_again_and_nothing_is_saved(app, client, login_as, missed, case, mode):
    section, data, field, message = BAD_INPUT[case]
    login_as("clinician")
    before = _saved(app, missed["check_id"])
    response = post_form(client, f"{missed['url']}/{section}", data, headers=HTMX if mode == "htmx" else {})
    # version is hidden, and safeguarding not asked of this patient: only tampering sends them
    body = pages.shown_again(response, field, message, status=400 if mode == "plain" else 200,
                       hidden=("version", "safeguarding"))
    assert ("<html" in body) == (mode == "plain")
    assert "HX-Redirect" not in response.headers
    assert _saved(app, missed["check_id"]) == before


@pytest.mark.parametrize("section", ["barriers", "complete"])
def test_a_stale_save_is_a_conflict_and_changes_nothing(app, client, login_as, missed, section):
    login_as("clinician")
    opened = pages.version_in(pages.page_text(client.get(missed["url"])))
    assert post_form(client, f"{missed['url']}/barriers", {"barriers": "work", "version": opened}).status_code == 303
    before = _saved(app, missed["check_id"])
    data = {"barriers": "safety", "version": opened} if section == "barriers" else {
        "outcome": "declined", "consent_basis": "patient", "version": opened}
    if section == "complete":
        assert _attempt(client, missed, reached="yes").status_code == 303
        before = _saved(app, missed["check_id"])
    response = post_form(client, f"{missed['url']}/{section}", data)
    assert response.status_code == 409
    body = pages.page_text(response)
    assert "This barrier check changed since you opened it." in body
    assert "Missed SAMPLETON" in body, "the conflict page names the patient"
    assert _saved(app, missed["check_id"]) == before
    assert _check(app, missed["check_id"]).barriers == ["work"]


def test_a_completed_check_takes_no_more_saves(app, client, login_as, missed):
    login_as("clinician")
    assert _complete(app, client, missed, outcome="rebooked").status_code == 303
    before = _saved(app, missed["check_id"])
    version = str(_check(app, missed["check_id"]).version)
    barriers = post_form(client, f"{missed['url']}/barriers", {"barriers": "work", "version": version})
    attempt = _attempt(client, missed, reached="no")
    again = post_form(client, f"{missed['url']}/complete", {"outcome": "declined", "version": version})
    assert (barriers.status_code, attempt.status_code, again.status_code) == (400, 400, 400)
    assert "This barrier check is already complete" in pages.page_text(barriers)
    assert "This barrier check is already complete" in pages.page_text(attempt)
    assert _saved(app, missed["check_id"]) == before
    for section in ("barriers", "attempts", "complete"):
        assert post_form(client, f"/barrier-checks/999999/{section}", {"version": "1"}).status_code == 404


# -- booking while a check is open -----------------------------------------------------------------------------

def _booking(client, referral_id: int) -> dict:
    """The booking form's version and one-time token, as the browser would post them."""
    page = client.get(f"/appointments/referrals/{referral_id}").get_data(as_text=True)
    body = page[page.index("<h2>Book an appointment</h2>"):]
    token = re.search(r'<input[^>]*name="submission_token"[^>]*>', body).group(0)
    return {"version": pages.version_in(body), "submission_token": re.search(r'value="([^"]+)"', token).group(1)}


def _booking_data(client, referral_id: int, **overrides) -> dict:
    return {**_booking(client, referral_id), "starts_at": f"{IN_FIVE_DAYS}T10:00", "format": "telephone",
            "place": "", "duration_minutes": "30", "notes": "", **overrides}


def test_booking_is_refused_while_the_check_is_open(app, client, login_as, missed):
    login_as("booking")
    page = pages.page_text(client.get(f"/appointments/referrals/{missed['referral_id']}"))
    assert f'href="/barrier-checks/{missed["check_id"]}">Barrier check (open)' in page, "linked from the DNA row"
    callout = page[page.index("Barrier check open"):]
    assert f'href="/barrier-checks/{missed["check_id"]}"' in callout
    assert "give an urgent clinical reason" not in callout, "booking staff cannot override"
    assert "override_reason" not in pages.field_names(page)
    before = _saved(app, missed["check_id"])
    response = post_form(client, f"/appointments/referrals/{missed['referral_id']}",
                         _booking_data(client, missed["referral_id"], override_reason="Urgent, honestly"))
    assert response.status_code == 400
    body = pages.page_text(response)
    assert "There is a problem" in body
    assert BLOCKED in body
    assert _saved(app, missed["check_id"]) == before
    assert not events(app, "barrier_check.overridden")


def test_a_clinician_overrides_with_a_reason(app, client, login_as, missed):
    user_id = login_as("clinician")
    page = pages.page_text(client.get(f"/appointments/referrals/{missed['referral_id']}"))
    assert "or give an urgent clinical reason below" in page
    assert "override_reason" in pages.field_names(page)
    before = _saved(app, missed["check_id"])
    for blank in ("", "  \n "):
        without = post_form(client, f"/appointments/referrals/{missed['referral_id']}",
                            _booking_data(client, missed["referral_id"], override_reason=blank))
        assert without.status_code == 400
        body = pages.page_text(without)
        error = body.index('id="override_reason-error"')
        assert "Give the urgent clinical reason for booking before the barrier check" in body[error:error + 400]
        assert _saved(app, missed["check_id"]) == before

    response = post_form(client, f"/appointments/referrals/{missed['referral_id']}",
                         _booking_data(client, missed["referral_id"],
                                       override_reason="Wound review cannot wait for the check"))
    assert response.status_code == 303
    assert "Appointment booked." in pages.page_text(client.get(response.headers["Location"]))
    assert count(app, Appointment) == 2
    [event] = events(app, "barrier_check.overridden")
    assert (event.actor_id, event.actor_role, event.entity_id, event.referral_id) == (
        user_id, "clinician", missed["check_id"], missed["referral_id"])
    assert json.loads(event.data)["reason"] == "Wound review cannot wait for the check"
    assert _check(app, missed["check_id"]).completed_at is None, "the check itself stays open"


# -- recording a DNA -------------------------------------------------------------------------------------------

@pytest.fixture
def started(app):
    """An accepted referral with an appointment that began an hour ago."""
    with app.app_context():
        actor = staff(db.session, "booking", "starter")
        referral = make_referral(db.session, given_name="Started")
        accept(db.session, actor, referral)
        appointment = book(db.session, actor, referral, datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1))
        db.session.commit()
        return {"referral_id": referral.id, "appointment_id": appointment.id}


def test_recording_a_dna_goes_straight_to_its_new_barrier_check(app, client, login_as, started):
    user_id = login_as("clinician")
    response = post_form(client, f"/appointments/{started['appointment_id']}/outcome",
                         {"outcome": "dna", "reason": "", "version": "1"})
    assert response.status_code == 303
    with app.app_context():
        [check] = db.session.scalars(select(BarrierCheck)).all()
        assert (check.referral_id, check.appointment_id, check.completed_at) == (
            started["referral_id"], started["appointment_id"], None)
        check_id = check.id
    page = pages.redirected(client, response, f"/barrier-checks/{check_id}")
    assert "Outcome recorded: did not attend." in page
    assert "<h1>Barrier check after a missed appointment</h1>" in page
    [opened] = events(app, "barrier_check.opened")
    assert (opened.actor_id, opened.entity_id) == (user_id, check_id)


def test_a_second_dna_opens_a_second_check_for_senior_review(app, client, login_as, missed):
    login_as("clinician")
    assert _complete(app, client, missed, outcome="rebooked").status_code == 303
    with app.app_context():
        referral = db.session.get(Referral, missed["referral_id"])
        starts = datetime.combine(date.today(), time(0, 5), LONDON).astimezone(UTC) - timedelta(days=1)
        again = book(db.session, staff(db.session, "clinician", "rebooker"), referral, starts)
        db.session.commit()
        again_id, version = again.id, again.version
    response = post_form(client, f"/appointments/{again_id}/outcome", {"outcome": "dna", "version": str(version)})
    assert response.status_code == 303
    with app.app_context():
        second = db.session.scalar(select(BarrierCheck).where(BarrierCheck.appointment_id == again_id))
        flagged = db.session.get(Referral, missed["referral_id"])
        assert (flagged.senior_review_reason, second.completed_at) == ("2 missed appointments", None)
        second_id = second.id
    assert response.headers["Location"] == f"/barrier-checks/{second_id}"
    row = pages.row_naming(pages.page_text(client.get("/barrier-checks/")), "Missed SAMPLETON")
    assert "Needs senior review" in row
    assert f'href="/barrier-checks/{second_id}"' in row


def test_what_staff_type_on_the_check_is_escaped(app, client, login_as, missed):
    xss = "<script>alert(1)</script>"
    login_as("clinician")
    assert post_form(client, f"{missed['url']}/barriers",
                     {"barriers": "other", "other_barrier": xss, "version": "1"}).status_code == 303
    assert _attempt(client, missed, reached="no", note=xss).status_code == 303
    for response in (client.get(missed["url"]), client.get(missed["url"], headers=HTMX)):
        body = response.get_data(as_text=True)
        assert body.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 2
        assert xss not in body
