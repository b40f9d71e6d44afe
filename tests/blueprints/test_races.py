"""Saves that race for the same record through a real threaded server: one wins, every other one is told the
record changed (409) or sent to what the winner made, and none gets the error page."""
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from inclusive_access.domain import submissions
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.models import Appointment, Event, ReasonableAdjustment, Referral, TriageRecord
from tests.blueprints.records import SCRIPT_FORM, accept
from tests.conftest import ON_BOTH_DATABASES, post_form
from tests.factories import make_referral, make_user, staff
from tests.live_server import Browser, at_once
from tests.serving import serve

pytestmark = ON_BOTH_DATABASES

RACERS = 40
IN_A_WEEK = (datetime.now(UTC) + timedelta(days=7)).astimezone(LONDON).strftime("%Y-%m-%dT10:00")


def _given(app, accepted: bool = False) -> int:
    with app.app_context():
        referral = make_referral(db.session)
        if accepted:
            accept(db.session, staff(db.session, "booking", "given.booking"), referral)
        make_user(db.session, role="booking", username="racer")
        db.session.commit()
        return referral.id


def _race(app, page: str, fields: dict) -> list[int]:
    """RACERS users open the same form, then all save at once: their statuses."""
    with serve(app) as url:
        browser = Browser(url).sign_in("racer")
        forms = [{**browser.form(page), **fields} for _ in range(RACERS)]  # each with its own one-time token
        pending = iter(forms)
        return at_once(RACERS, lambda: browser.request(page, next(pending))[0])


def _stored(app, *counts) -> list[int]:
    with app.app_context():
        return [db.session.scalar(select(func.count()).select_from(model).where(*where)) for model, *where in counts]


def test_racing_triage_saves_have_one_winner_and_no_error_page(app):
    referral_id = _given(app)
    statuses = _race(app, f"/triage/referrals/{referral_id}", {**SCRIPT_FORM, "outcome": "accept"})
    assert Counter(statuses) == {303: 1, 409: RACERS - 1}
    assert _stored(app, (TriageRecord,), (Event, Event.action == "triage.accepted")) == [1, 1]
    with app.app_context():
        assert db.session.get(Referral, referral_id).state == "accepted"


def test_racing_bookings_have_one_winner_and_no_error_page(app):
    referral_id = _given(app, accepted=True)
    statuses = _race(app, f"/appointments/referrals/{referral_id}",
                     {"starts_at": IN_A_WEEK, "format": "telephone", "place": "", "duration_minutes": "30",
                      "notes": ""})
    assert Counter(statuses) == {303: 1, 409: RACERS - 1}
    assert _stored(app, (Appointment,), (Event, Event.action == "appointment.booked")) == [1, 1]


def test_a_token_stored_first_is_a_conflict_even_past_the_check(app, client, login_as, monkeypatch):
    """The unique column is the last line of defence: were the check ever skipped, the second insert of a token
    is refused by the database and answered 409, not the error page."""
    referral_id = _given(app)
    with app.app_context():
        patient_id = db.session.get(Referral, referral_id).patient_id
    login_as("clinician")
    page = client.get(f"/adjustments/patients/{patient_id}").get_data(as_text=True)
    token = re.search(r'name="submission_token" type="hidden" value="([^"]+)"', page).group(1)
    monkeypatch.setattr(submissions, "refuse_repeat", lambda *_args: None)
    form = {"category": "timing", "description": "Longer appointment", "consent_basis": "patient",
            "source": "patient_request", "submission_token": token}
    statuses = [post_form(client, f"/adjustments/patients/{patient_id}/new", form).status_code for _ in range(2)]
    assert statuses == [303, 409]
    assert _stored(app, (ReasonableAdjustment,), (Event, Event.action == "adjustment.recorded")) == [1, 1]
