"""The auditor's log pages: timelines with their chain check and filter, access logs, and whole-log verification
(chunked by htmx with progress, all at once without JavaScript, refused with a forged state, naming a forged event,
warning when no checkpoint is recent)."""
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from inclusive_access.domain import actions, event_chain, records
from inclusive_access.domain.actors import SYSTEM
from inclusive_access.extensions import db
from inclusive_access.models import Event
from inclusive_access.template_filters import london
from tests.conftest import ON_BOTH_DATABASES, post_form
from tests.domain.test_events import forge, unprotect
from tests.factories import make_referral, staff


@pytest.fixture
def viewed(app):
    """A referral a clinician has opened; returns (patient id, referral id, the clinician's user id)."""
    with app.app_context():
        referral = make_referral(db.session, given_name="Viewed")
        clinician = staff(db.session, "clinician", "curious.clinician")
        records.view_record(db.session, clinician, referral.patient, referral)
        db.session.commit()
        return referral.patient_id, referral.id, clinician.user_id


def _text(response) -> str:
    return response.get_data(as_text=True)


@ON_BOTH_DATABASES
def test_the_patient_timeline_lists_every_event_and_says_the_chain_verifies(client, login_as, viewed):
    patient_id, _referral_id, _user = viewed
    login_as("auditor")
    page = _text(client.get(f"/audit/patients/{patient_id}/timeline"))
    assert "Chain verifies" in page
    for action in ("patient.registered", "referral.received", "record.viewed"):
        assert f"<code>{action}</code>" in page, action
    only = _text(client.get(f"/audit/patients/{patient_id}/timeline?action=record.viewed"))
    assert "2 events of action record.viewed." in only, "the clinician's view, and the auditor's opening of the page"
    assert "<code>referral.received</code>" not in only
    unknown = _text(client.get(f"/audit/patients/{patient_id}/timeline?action=nothing.like.this"))
    assert "0 events." in unknown, "an action the record does not have shows nothing, and is not echoed back"


@ON_BOTH_DATABASES
def test_an_altered_event_is_named_on_the_timeline(app, client, login_as, viewed, backend):
    _patient_id, referral_id, _user = viewed
    with app.app_context():
        seq = db.session.scalar(select(Event.seq).where(Event.referral_id == referral_id,
                                                        Event.action == "referral.received"))
        unprotect(db.session, backend)
        db.session.execute(text("UPDATE events SET data = :d WHERE seq = :s"), {"d": "{}", "s": seq})
        db.session.commit()
    login_as("manager")
    page = _text(client.get(f"/audit/referrals/{referral_id}/timeline"))
    assert "The chain does not verify" in page
    assert f"Events {seq} were altered" in page


def test_the_access_logs_say_who_viewed_a_patient_and_what_a_user_viewed(client, login_as, viewed):
    patient_id, referral_id, clinician_id = viewed
    login_as("auditor")
    who = _text(client.get(f"/audit/patients/{patient_id}/access"))
    assert "curious.clinician, clinician" in who
    assert f"Referral {referral_id}" in who
    what = _text(client.get(f"/audit/users/{clinician_id}/access"))
    assert "1 view from" in what
    assert "Viewed SAMPLETON" in what
    backwards = _text(client.get(f"/audit/users/{clinician_id}/access?first=2026-06-02&last=2026-06-01"))
    assert "The first day must not be after the last" in backwards


def _start(client) -> str:
    return re.search(r'name="state" value="([^"]+)"', _text(client.get("/audit/log"))).group(1)


def _verify_by_htmx(client) -> tuple[str, int]:
    """Ask for one chunk after another as htmx does: the last fragment, and how many were asked for."""
    state, steps = _start(client), 0
    while True:
        steps += 1
        step = _text(post_form(client, "/audit/log/verify", {"state": state}, headers={"HX-Request": "true"}))
        assert "<html" not in step
        following = re.search(r'&#34;state&#34;: &#34;([^&]+)&#34;|"state": "([^"]+)"', step)
        if following is None:
            return step, steps
        assert re.search(r"Checked \d+ of [\d,]+ events", step)
        state = next(g for g in following.groups() if g)
        assert steps < 50


@ON_BOTH_DATABASES
def test_htmx_verifies_the_log_chunk_by_chunk_with_progress(app, client, login_as, viewed, monkeypatch):
    monkeypatch.setattr(event_chain, "VERIFY_CHUNK", 2)
    login_as("auditor")
    with app.app_context():
        total = event_chain.checkpoint(db.session).count
    final, steps = _verify_by_htmx(client)
    assert "The log verifies" in final
    assert steps == -(-total // 2), "one step a chunk, up to the head the page was opened with"
    with app.app_context():
        logged = db.session.scalars(select(Event).where(Event.action == actions.LOG_VERIFIED)).all()
    assert len(logged) == 1, "the run is evented once, at its end"


def test_without_javascript_the_whole_log_is_verified_at_once(client, login_as, viewed):
    login_as("manager")
    response = post_form(client, "/audit/log/verify", {"state": _start(client)})
    assert response.status_code == 200
    assert "The log verifies" in _text(response)


@pytest.mark.parametrize("offset", [0, 1], ids=["first-in-its-chunk", "inside-a-chunk"])
def test_verification_names_a_forged_event_with_a_valid_plain_hash(app, client, login_as, viewed, monkeypatch,
                                                                   offset):
    patient_id = viewed[0]
    login_as("auditor")
    with app.app_context():
        head = event_chain.checkpoint(db.session)
        forge(db.session, head.count + 1, prev_hash=head.hash, patient_id=patient_id)  # as an attacker with INSERT
        db.session.commit()
    monkeypatch.setattr(event_chain, "VERIFY_CHUNK", head.count + offset)
    failed = f"Event {head.count + 1}: unkeyed event after the chain was keyed. Events 1 to {head.count} verify."
    assert failed in _verify_by_htmx(client)[0]
    assert failed in _text(post_form(client, "/audit/log/verify", {"state": _start(client)}))
    timeline = _text(client.get(f"/audit/patients/{patient_id}/timeline"))
    assert f"Events {head.count + 1} were altered, forged" in timeline


def test_the_log_page_says_when_the_last_checkpoint_was_taken_and_warns_when_none_is_recent(app, client, login_as):
    login_as("auditor")
    never = _text(client.get("/audit/log"))
    assert "No recent checkpoint" in never
    assert "No checkpoint has been taken. Without a checkpoint from the last 7 days" in never
    with app.app_context():
        taken = event_chain.take_checkpoint(db.session, SYSTEM, now=datetime.now(UTC) - timedelta(days=7, minutes=1))
        db.session.commit()
    stale = _text(client.get("/audit/log"))
    assert "No recent checkpoint" in stale
    when = london(datetime.fromisoformat(taken.taken_at))
    assert f"The last checkpoint was taken on {when} (event {taken.count})." in stale
    with app.app_context():
        taken = event_chain.take_checkpoint(db.session, SYSTEM)
        db.session.commit()
    recent = _text(client.get("/audit/log"))
    assert "No recent checkpoint" not in recent
    assert f"(event {taken.count}). Checking against it with <code>flask audit verify --checkpoint</code>" in recent


def test_a_forged_place_in_the_chain_is_refused(client, login_as, viewed):
    login_as("auditor")
    assert post_form(client, "/audit/log/verify", {"state": "WzEwMCwgImZmIl0"}).status_code == 400


@pytest.mark.parametrize("role", ["booking", "clinician", "senior"])
def test_only_auditors_and_managers_read_the_log_pages(client, login_as, viewed, role):
    patient_id, referral_id, user_id = viewed
    login_as(role)
    for url in (f"/audit/patients/{patient_id}/timeline", f"/audit/referrals/{referral_id}/timeline",
                f"/audit/patients/{patient_id}/access", f"/audit/users/{user_id}/access", "/audit/log"):
        assert client.get(url).status_code == 403, url
