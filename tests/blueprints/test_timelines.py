"""The timelines on the referral and patient pages: sentences in staff words, and links that show one kind of event,
the choice in the URL, working without JavaScript."""
import html
import re
from datetime import UTC, datetime, timedelta

import pytest

from inclusive_access.domain import appointments
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.models import User
from tests.blueprints.records import accept, miss
from tests.factories import make_referral, staff

APPOINTMENT_SENTENCES = ("Booked an appointment for", "Recorded a missed appointment (")


@pytest.fixture
def missed(app) -> dict:
    """A referral accepted, booked and missed once (a barrier check opened)."""
    with app.app_context():
        booking = staff(db.session, "booking", "timeline.booker")
        referral = make_referral(db.session, booking, given_name="Tamsin", received_at=(
            datetime.now(UTC) - timedelta(hours=3)).strftime("%Y-%m-%d %H:%M"))
        miss(db.session, staff(db.session, "clinician", "timeline.clinician"), referral,
             ago=timedelta(minutes=30))
        db.session.commit()
        return {"referral": referral.id, "patient": referral.patient_id}


def _timeline(response) -> str:
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    return body[body.index('<section id="timeline"'):body.index("</section>", body.index('<section id="timeline"'))]


def _rows(timeline: str) -> list[str]:
    return [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", row)))
            for row in re.findall(r'<tr class="nhsuk-table__row" role="row" id="event-\d+">.*?</tr>', timeline, re.S)]


def test_the_referral_timeline_reads_as_sentences_with_who_did_each_thing(client, login_as, missed):
    login_as("booking")
    rows = _rows(_timeline(client.get(f"/referrals/{missed['referral']}")))
    assert any("Went through the triage booking script. Suggested formats: Telephone" in row for row in rows)
    assert any("Accepted the referral at triage — Test clinician" in row for row in rows)
    assert any(re.search(r"Recorded a missed appointment \(\d+ \w{3}, \d\d:\d\d, Telephone\) — Test clinician", row)
               for row in rows)
    assert not any(re.search(r"\b[a-z_]+\.[a-z_]+\b|[{}\[\]]", row) for row in rows), "no codes, no dictionaries"


@pytest.mark.parametrize("page", ["referral", "patient"])
def test_a_kind_link_shows_only_that_kind_and_says_how_many_of_all(client, login_as, missed, page):
    login_as("booking")
    url = f"/referrals/{missed['referral']}" if page == "referral" else f"/patients/{missed['patient']}"
    every = _timeline(client.get(url))
    total = len(_rows(every))
    assert f'href="{url}?kind=appointments#timeline"' in every
    assert re.search(r'aria-current="true"[^>]*>All events \(\d+\)', every)
    only = _timeline(client.get(f"{url}?kind=appointments"))
    rows = _rows(only)
    assert len(rows) == 2, rows
    assert all(any(sentence in row for sentence in APPOINTMENT_SENTENCES) for row in rows), rows
    assert f"Showing 2 of {total} events: appointments." in html.unescape(only)
    assert re.search(r'aria-current="true"[^>]*>Appointments \(2\)', only)
    assert "Barrier checks (1)" in only, "the other kinds stay offered"
    assert "Triage and clarification (2)" in only


def test_a_kind_the_record_has_none_of_is_not_offered_and_an_unknown_one_shows_everything(client, login_as,
                                                                                          missed):
    login_as("clinician")
    url = f"/referrals/{missed['referral']}"
    every = _timeline(client.get(url))
    assert "?kind=safeguarding" not in every, "no concern on this record"
    assert len(_rows(_timeline(client.get(f"{url}?kind=nothing-like-this")))) == len(_rows(every))
    assert "Showing all" in _timeline(client.get(f"{url}?kind=nothing-like-this"))


@pytest.mark.parametrize(("role", "support"), [
    ("booking", ". Support to arrange: Somali interpreter — Demo Booking User"),
    ("manager", " — Demo Booking User Details withheld from your role: notes, place"),
])
def test_a_booking_says_what_for_when_and_who_booked_it_and_only_what_the_role_may_read(app, client, login_as,
                                                                                        role, support):
    with app.app_context():
        booker = staff(db.session, "booking", "demo.booking")
        db.session.get(User, booker.user_id).display_name = "Demo Booking User"
        referral = make_referral(db.session, booker)
        accept(db.session, booker, referral)
        starts_at = (datetime.now(UTC) + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
        appointments.book_appointment(db.session, booker, referral, referral.version, starts_at,
                                      "telephone_interpreter", None, "Somali interpreter")
        db.session.commit()
        referral_id, when = referral.id, starts_at.astimezone(LONDON).strftime("%-d %b, %H:%M")
    login_as(role)
    [row] = _rows(_timeline(client.get(f"/referrals/{referral_id}?kind=appointments")))
    assert f"Booked an appointment for {when} (Telephone with interpreter){support}" in row


def test_the_timeline_accepts_an_htmx_swap_of_the_whole_page(client, login_as, missed):
    login_as("booking")
    response = client.get(f"/referrals/{missed['referral']}?kind=barrier_checks", headers={"HX-Request": "true"})
    assert len(_rows(_timeline(response))) == 1
    assert 'hx-select="#timeline"' in response.get_data(as_text=True)
