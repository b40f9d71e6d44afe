"""A one-time questionnaire link: who may send one, what is kept of it, and that it opens once, for its patient's
first name and questionnaire alone, until it expires; forged, tampered, used and expired links are refused alike,
and too many tries are throttled."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from inclusive_access.domain import actions, event_chain, instrument_files, listing, questionnaire_links
from inclusive_access.domain.errors import InvalidInput, LinkRefused, LinkThrottled, NotPermitted
from inclusive_access.models import Event, LinkThrottle, QuestionnaireLink, QuestionnaireResponse
from tests.event_log import actions_since, count, data_of, head, nothing_written
from tests.factories import TRIAGED

SHIPPED = instrument_files.load(instrument_files.SHIPPED_DIR)
#: the referral fixture is on the MSK pathway: the Patient-Specific Functional Scale, and the experience measure
PSFS = SHIPPED["psfs"]
SENT = TRIAGED + timedelta(days=1)
RULES = questionnaire_links.LinkRules()
SIGNING = questionnaire_links.signer("test-only-secret-key")
PHONE = "198.51.100.7"
ANSWERS = {"activity_1": "3", "activity_2": "6"}


def send(session, actor, referral, instrument=PSFS, time_point="first_contact", easy_read=False, **overrides):
    return questionnaire_links.issue_link(session, actor, referral, instrument, time_point, easy_read,
                                          overrides.pop("rules", RULES), SIGNING, now=SENT, **overrides)


def opened(session, token, source=PHONE, at=SENT + timedelta(hours=1), rules=RULES):
    return questionnaire_links.open_link(session, token, source, SHIPPED, rules, SIGNING, now=at)


def answered(session, token, answers=None, source=PHONE, at=SENT + timedelta(hours=1), rules=RULES):
    return questionnaire_links.submit_link(session, token, source, SHIPPED, rules, SIGNING,
                                           answers if answers is not None else ANSWERS, now=at)


@pytest.mark.parametrize("role", ["booking", "clinician", "senior"])
def test_booking_staff_and_clinicians_send_a_link_of_which_only_a_hash_is_kept(db_session, referral, role, actor):
    before = head(db_session)
    issued = send(db_session, actor, referral, easy_read=True, submission_token="tok-1")
    db_session.commit()
    link = db_session.get(QuestionnaireLink, issued.link.id)
    assert (link.referral_id, link.patient_id, link.instrument_id, link.time_point, link.easy_read) == (
        referral.id, referral.patient_id, "psfs", "first_contact", True)
    assert (link.issued_by, link.issued_at, link.expires_at, link.used_at) == (
        actor.user_id, SENT, SENT + timedelta(days=14), None)
    _link_id, secret = SIGNING.loads(issued.token)
    stored = json.dumps([str(getattr(link, column.key)) for column in QuestionnaireLink.__table__.columns])
    assert secret not in stored, "the link itself is never kept"
    assert issued.token not in stored
    assert actions_since(db_session, before) == [actions.QUESTIONNAIRE_LINK_ISSUED]
    assert data_of(db_session, actions.QUESTIONNAIRE_LINK_ISSUED, before) == [{
        "instrument": "psfs", "title": PSFS.title, "time_point": "first_contact", "easy_read": True,
        "expires_at": (SENT + timedelta(days=14)).isoformat()}]
    assert issued.token not in json.dumps(data_of(db_session, actions.QUESTIONNAIRE_LINK_ISSUED))
    assert event_chain.verify(db_session).ok


@pytest.mark.parametrize("role", ["auditor", "manager"])
def test_auditors_and_managers_may_not_send_links(db_session, referral, actor):
    with nothing_written(db_session), pytest.raises(NotPermitted):
        send(db_session, actor, referral)


@pytest.mark.parametrize(("instrument", "time_point", "errors"), [
    (SHIPPED["barthel"], "first_contact", {"instrument": f"{SHIPPED['barthel'].title} is rated by a clinician, "
                                                         "not sent to the patient"}),
    (SHIPPED["phq9"], "first_contact", {"instrument": f"{SHIPPED['phq9'].title} is not used on this pathway"}),
    (PSFS, "whenever", {"time_point": "Select when in the referral it is for"}),
])
def test_a_questionnaire_the_patient_cannot_be_sent_is_refused(db_session, booker, referral, instrument, time_point,
                                                               errors):
    with nothing_written(db_session), pytest.raises(InvalidInput) as refused:
        send(db_session, booker, referral, instrument, time_point)
    assert refused.value.errors == errors


def test_the_link_opens_with_the_patients_first_name_and_the_questionnaire_alone(db_session, booker, referral):
    issued = send(db_session, booker, referral, SHIPPED["experience"], "discharge", easy_read=True)
    page = opened(db_session, issued.token)
    assert page == questionnaire_links.OpenLink(first_name="Testy", instrument=SHIPPED["experience"], easy_read=True)


def test_the_patient_answers_once_as_the_patient_and_the_link_is_used_up(db_session, booker, referral):
    issued = send(db_session, booker, referral)
    db_session.commit()
    before = head(db_session)
    response = answered(db_session, issued.token)
    db_session.commit()
    stored = db_session.get(QuestionnaireResponse, response.id)
    assert (stored.mode, stored.recorded_by, stored.recorded_role, stored.score, stored.time_point) == (
        "patient_link", None, "patient", 4.5, "first_contact")
    link = db_session.get(QuestionnaireLink, issued.link.id)
    assert (link.used_at, link.response_id) == (SENT + timedelta(hours=1), response.id)
    event = db_session.scalars(select(Event).where(Event.seq > before)).one()
    assert (event.action, event.actor_id, event.actor_role) == (actions.QUESTIONNAIRE_COMPLETED, None, "patient")
    assert json.loads(event.data)["mode"] == "patient_link"
    timeline = listing.timeline(db_session, booker, referral_id=referral.id, kind="questionnaires")
    assert [(e.action, e.actor) for e in timeline.events] == [
        (actions.QUESTIONNAIRE_LINK_ISSUED, "Test booking"), (actions.QUESTIONNAIRE_COMPLETED, "The patient")]
    for again in (opened, answered):
        with nothing_written(db_session), pytest.raises(LinkRefused):
            again(db_session, issued.token, at=SENT + timedelta(hours=2))
    assert count(db_session, QuestionnaireResponse) == 1


def test_a_link_stops_working_when_it_expires(db_session, booker, referral):
    issued = send(db_session, booker, referral)
    assert opened(db_session, issued.token, at=SENT + timedelta(days=14, seconds=-1)).first_name == "Testy"
    for late in (opened, answered):
        with nothing_written(db_session), pytest.raises(LinkRefused):
            late(db_session, issued.token, at=SENT + timedelta(days=14))
    assert count(db_session, QuestionnaireResponse) == 0


def _forged(issued, other) -> dict[str, str]:
    link_id, secret = SIGNING.loads(issued.token)
    return {
        "signed with another key": questionnaire_links.signer("another-key").dumps([link_id, secret]),
        "signature altered": issued.token[:-2] + ("AA" if not issued.token.endswith("AA") else "BB"),
        "another link's id with this secret": SIGNING.dumps([other.link.id, secret]),
        "an unknown id": SIGNING.dumps([link_id + 1000, secret]),
        "an id beyond the database's integers": SIGNING.dumps([2**63, secret]),
        "not a pair": SIGNING.dumps({"id": link_id}),
        "not a token": "hello",
    }


def test_forged_and_tampered_links_are_refused_like_any_other(db_session, booker, referral):
    issued, other = send(db_session, booker, referral), send(db_session, booker, referral)
    db_session.commit()
    for name, token in _forged(issued, other).items():
        with nothing_written(db_session), pytest.raises(LinkRefused):
            answered(db_session, token)
        assert count(db_session, QuestionnaireResponse) == 0, name
    assert opened(db_session, issued.token).first_name == "Testy", "the genuine links still open"
    assert opened(db_session, other.token).first_name == "Testy"


def test_a_question_left_out_is_named_and_the_link_still_works(db_session, booker, referral):
    issued = send(db_session, booker, referral, easy_read=True)
    with pytest.raises(questionnaire_links.Unanswered) as missing:
        answered(db_session, issued.token, {"activity_2": "6", "csrf_token": "x", "surprise": "1"})
    assert missing.value.errors == {"activity_1": "Choose an answer"}
    assert missing.value.page == questionnaire_links.OpenLink("Testy", PSFS, True)
    assert (count(db_session, QuestionnaireResponse), db_session.get(QuestionnaireLink, issued.link.id).used_at) == (
        0, None)
    assert answered(db_session, issued.token).score == 4.5


def test_too_many_requests_on_one_link_are_throttled_until_the_window_ends(db_session, booker, referral):
    rules = questionnaire_links.LinkRules(link_limit=3)
    issued = send(db_session, booker, referral, rules=rules)
    for minute in range(3):
        opened(db_session, issued.token, at=SENT + timedelta(minutes=minute), rules=rules)
    with pytest.raises(LinkThrottled) as throttled:
        answered(db_session, issued.token, at=SENT + timedelta(minutes=5), rules=rules)
    assert throttled.value.retry_after == 10 * 60
    assert count(db_session, QuestionnaireResponse) == 0
    assert answered(db_session, issued.token, at=SENT + timedelta(minutes=15), rules=rules).score == 4.5


def test_an_address_that_tries_too_many_bad_links_is_throttled_even_with_a_good_one(db_session, booker, referral):
    rules = questionnaire_links.LinkRules(source_limit=2)
    issued = send(db_session, booker, referral, rules=rules)
    for guess in ("guess-1", "guess-2"):
        with pytest.raises(LinkRefused):
            opened(db_session, guess, source="203.0.113.9", rules=rules)
    with pytest.raises(LinkThrottled):
        opened(db_session, issued.token, source="203.0.113.9", rules=rules)
    assert db_session.get(LinkThrottle, "203.0.113.9").failures == 2
    assert opened(db_session, issued.token, source=PHONE, rules=rules).first_name == "Testy", "elsewhere it opens"
    assert opened(db_session, issued.token, source="203.0.113.9", at=SENT + timedelta(minutes=76),
                  rules=rules).first_name == "Testy", "and there too once the window has passed"


def test_the_referral_lists_its_links_with_whether_each_was_used_or_expired(db_session, booker, referral):
    waiting = send(db_session, booker, referral, SHIPPED["experience"], "discharge", easy_read=True)
    used = send(db_session, booker, referral, submission_token="tok-used")
    answered(db_session, used.token)
    expired = questionnaire_links.issue_link(db_session, booker, referral, PSFS, "review", False, RULES, SIGNING,
                                             now=SENT - timedelta(days=20))
    listed = questionnaire_links.links_for_referral(db_session, referral.id, SHIPPED, now=SENT + timedelta(days=1))
    assert [(s.title, s.when, s.easy_read, s.status) for s in listed] == [
        (PSFS.title, "At first contact", False, "used"), (SHIPPED["experience"].title, "At discharge", True, "waiting"),
        (PSFS.title, "At a review", False, "expired")], "the latest sent first"
    assert (listed[1].expires_at, listed[2].issued_at) == (waiting.link.expires_at, expired.link.issued_at)
