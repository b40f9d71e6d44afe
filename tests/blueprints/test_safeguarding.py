"""Safeguarding pages: raising a concern (once per submit, bad input, only on an open referral), the banner that
shows it, the multi-agency route, actions, closure by a senior, the open list, and who may read or write; then
re-referral of a closed referral, linked both ways."""
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from inclusive_access.domain import appointments, discharge, safeguarding
from inclusive_access.domain.discharge import Decision
from inclusive_access.domain.safeguarding import ConcernDetails
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.models import Event, Referral, SafeguardingAction, SafeguardingConcern
from tests.blueprints import pages
from tests.blueprints.records import accept, accepted_referral, count, events, propose_rejection
from tests.conftest import post_form
from tests.factories import book, make_referral, staff

BANNER = "Safeguarding concern open"
TODAY = datetime.now(LONDON).date().isoformat()


def _hidden(body: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', body).group(0)
    return re.search(r'value="([^"]*)"', tag).group(1)


def _concern(app, concern_id: int) -> SafeguardingConcern:
    with app.app_context():
        concern = db.session.get(SafeguardingConcern, concern_id)
        _ = concern.actions
        db.session.expunge_all()
        return concern


def _saved(app) -> tuple:
    """What the safeguarding pages may change: concerns, their actions, referrals, and events other than views."""
    with app.app_context():
        concerns = db.session.execute(select(
            SafeguardingConcern.id, SafeguardingConcern.status, SafeguardingConcern.routed_to,
            SafeguardingConcern.routed_on, SafeguardingConcern.route_reference, SafeguardingConcern.outcome,
            SafeguardingConcern.closure_summary, SafeguardingConcern.version).order_by(SafeguardingConcern.id)).all()
        referrals = db.session.execute(select(Referral.id, Referral.state, Referral.version)
                                       .order_by(Referral.id)).all()
    return ([tuple(c) for c in concerns], [tuple(r) for r in referrals], count(app, SafeguardingAction),
            count(app, Event, Event.action != "record.viewed"))


@pytest.fixture
def active(app) -> dict:
    """An accepted referral: open, so a concern may be raised on it."""
    return accepted_referral(app, given_name="Guarded")


def _raise(app, referral_id: int, category: str = "self_neglect", text: str = "Home very cold, no food") -> int:
    with app.app_context():
        concern = safeguarding.raise_concern(db.session, staff(db.session, "clinician"),
                                             db.session.get(Referral, referral_id), ConcernDetails(category, text))
        db.session.commit()
        return concern.id


@pytest.fixture
def concern(app, active) -> dict:
    """An open self-neglect concern on the active referral, raised by a clinician."""
    concern_id = _raise(app, active["referral_id"])
    return {**active, "concern_id": concern_id, "url": f"/safeguarding/{concern_id}"}


def _form(client, referral_id: int, **data) -> dict:
    body = client.get(f"/safeguarding/referrals/{referral_id}/new").get_data(as_text=True)
    return {"submission_token": _hidden(body, "submission_token"), "category": "exploitation_risk",
            "concern": "Older man collects her benefits each week", "followed_delay": "not_known", **data}


# -- raising a concern -----------------------------------------------------------------------------------------

def test_the_raise_form(app, client, login_as, active):
    login_as("clinician")
    body = pages.open_page(client, f"/safeguarding/referrals/{active['referral_id']}/new")
    assert "call 999" in body
    assert {"category", "concern", "submission_token", "csrf_token"} <= pages.field_names(body)
    for code in ("lost_contact", "exploitation_risk", "self_neglect", "domestic_abuse", "other"):
        assert f'<option value="{code}"' in body
    assert re.fullmatch(r"[A-Za-z0-9_-]{20,64}", _hidden(body, "submission_token"))
    assert client.get("/safeguarding/referrals/999999/new").status_code == 404


def test_a_clinician_raises_a_concern_and_the_banner_shows_it(app, client, login_as, active):
    user_id = login_as("clinician")
    response = post_form(client, f"/safeguarding/referrals/{active['referral_id']}/new",
                         _form(client, active["referral_id"]))
    assert response.status_code == 303
    with app.app_context():
        [row] = db.session.scalars(select(SafeguardingConcern)).all()
        assert (row.category, row.concern, row.status, row.raised_by, row.raised_role, row.referral_id,
                row.patient_id, row.review_id) == (
            "exploitation_risk", "Older man collects her benefits each week", "open", user_id, "clinician",
            active["referral_id"], active["patient_id"], None)
        concern_id = row.id
    page = pages.redirected(client, response, f"/safeguarding/{concern_id}")
    assert "Safeguarding concern raised. It shows on the patient banner until a senior closes it." in page
    assert "<h1>Safeguarding concern: Risk of exploitation</h1>" in page
    assert "Older man collects her benefits each week" in page
    assert "Not yet referred" in page
    assert "No actions recorded yet." in page
    [event] = events(app, "safeguarding.raised")
    assert (event.actor_id, event.entity_id, event.referral_id, event.patient_id) == (
        user_id, concern_id, active["referral_id"], active["patient_id"])
    assert json.loads(event.data)["category"] == "exploitation_risk"
    assert _referral_state(app, active["referral_id"]) == "accepted", "the referral itself does not move"

    for url in (f"/referrals/{active['referral_id']}", f"/patients/{active['patient_id']}"):
        banner = pages.patient_banner(pages.page_text(client.get(url)))
        assert BANNER in banner, url
        assert "Risk of exploitation, raised " + datetime.now(UTC).astimezone(LONDON).strftime("%d %b %Y") in banner
    referral_page = pages.page_text(client.get(f"/referrals/{active['referral_id']}"))
    listed = referral_page[referral_page.index("Safeguarding concerns on this referral"):]
    assert f'href="/safeguarding/{concern_id}">Risk of exploitation</a>' in listed
    assert ": open" in listed[:400]


def test_the_banner_links_the_concern_for_those_who_may_read_it(app, client, login_as, concern):
    """Clinicians, seniors and auditors read safeguarding detail: the banner links them to the concern."""
    login_as("clinician")
    banner = pages.patient_banner(pages.page_text(client.get(f"/referrals/{concern['referral_id']}")))
    assert BANNER in banner
    assert f'href="/safeguarding/{concern["concern_id"]}"' in banner, banner


def test_a_booking_user_sees_the_warning_but_no_link(app, client, login_as, concern):
    login_as("booking")
    page = pages.page_text(client.get(f"/referrals/{concern['referral_id']}"))
    banner = pages.patient_banner(page)
    assert BANNER in banner
    assert "Self-neglect, raised" in banner
    assert "/safeguarding/" not in page, "booking staff may not open safeguarding detail"


def test_a_second_submit_of_the_same_concern_makes_one(app, client, login_as, active):
    login_as("clinician")
    data = _form(client, active["referral_id"])
    first = post_form(client, f"/safeguarding/referrals/{active['referral_id']}/new", data)
    assert first.status_code == 303
    saved = _saved(app)
    second = post_form(client, f"/safeguarding/referrals/{active['referral_id']}/new", data)
    assert second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    assert "This concern was already raised; here it is." in pages.page_text(client.get(second.headers["Location"]))
    assert count(app, SafeguardingConcern) == 1
    assert len(events(app, "safeguarding.raised")) == 1
    assert _saved(app) == saved


def _referral_state(app, referral_id: int) -> str:
    with app.app_context():
        return db.session.get(Referral, referral_id).state


def _rejected(app) -> int:
    with app.app_context():
        referral = make_referral(db.session, given_name="Rejected")
        propose_rejection(db.session, staff(db.session, "clinician"), referral)  # unflagged: rejected at once
        db.session.commit()
        assert referral.state == "rejected"
        return referral.id


def _discharged(app) -> int:
    """Accepted, seen once, discharge asked for by a clinician and approved by a senior."""
    with app.app_context():
        booker, clinician = staff(db.session, "booking"), staff(db.session, "clinician")
        referral = make_referral(db.session, given_name="Discharged",
                                 received_at=(datetime.now(UTC) - timedelta(days=8)).strftime("%Y-%m-%d %H:%M"))
        accept(db.session, booker, referral)
        appointment = book(db.session, booker, referral, datetime.now(UTC).replace(microsecond=0) - timedelta(days=7))
        appointments.record_outcome(db.session, clinician, appointment, appointment.version, "attended")
        review = discharge.request_discharge(db.session, clinician, referral, referral.version,
                                             "treatment_complete", "Goals met")
        discharge.decide_review(db.session, staff(db.session, "senior"), review, referral.version,
                                Decision("approved", "Agreed"))
        db.session.commit()
        assert referral.state == "discharged"
        return referral.id


@pytest.mark.parametrize(("make", "state"), [(_rejected, "rejected"), (_discharged, "discharged")])
def test_a_concern_on_a_closed_referral_is_refused(app, client, login_as, make, state):
    referral_id = make(app)
    login_as("clinician")
    assert "Raise a safeguarding concern" not in pages.page_text(client.get(f"/referrals/{referral_id}")), "not offered"
    before = _saved(app)
    response = post_form(client, f"/safeguarding/referrals/{referral_id}/new", _form(client, referral_id))
    assert response.status_code == 400
    body = pages.page_text(response)
    assert pages.broken_summary_links(body) == []
    assert "There is a problem" in body
    assert f"Safeguarding concerns are raised on an active referral; this one is {state}." in body
    assert _saved(app) == before


# -- the concern page: route, actions, closure -----------------------------------------------------------------

def test_the_concern_page_offers_the_route_and_actions_to_a_clinician(app, client, login_as, concern):
    login_as("clinician")
    body = pages.open_page(client, concern["url"])
    assert "Guarded SAMPLETON" in pages.patient_banner(body)
    assert BANNER in pages.patient_banner(body)
    assert "<h1>Safeguarding concern: Self-neglect</h1>" in body
    assert "Home very cold, no food" in body
    assert "(clinician)" in body
    assert {"routed_to", "routed_on", "reference", "version", "action", "csrf_token"} <= pages.field_names(body)
    assert {"outcome", "summary"}.isdisjoint(pages.field_names(body)), "only a senior is offered closure"
    assert "Only a senior can close a safeguarding concern." in body
    assert pages.version_in(body) == "1"
    assert 'type="date"' in body
    assert f'action="/safeguarding/{concern["concern_id"]}/route"' in body
    assert f'action="/safeguarding/{concern["concern_id"]}/actions"' in body
    assert client.get("/safeguarding/999999").status_code == 404


#: form -> (its address, the concern fixture's keys filled in; a valid post)
SAVES = {
    "raise": ("/safeguarding/referrals/{referral_id}/new", {"category": "exploitation_risk",
                                                            "concern": "Older man collects her benefits each week",
                                                            "followed_delay": "no"}),
    "route": ("{url}/route", {"routed_to": "Leeds adult MASH", "routed_on": TODAY, "reference": "MASH-2231",
                              "version": "1"}),
    "action": ("{url}/actions", {"action": "Phoned the GP practice"}),
    "close": ("{url}/close", {"outcome": "MASH: no further action; GP to monitor",
                              "summary": "Heating repaired, family visiting daily", "version": "1"}),
}


def _save(client, on: dict, form: str, **changes):
    """POST the safeguarding `form` on the concern fixture `on`: a valid post with `changes`."""
    address, valid = SAVES[form]
    return post_form(client, address.format(**on), {**valid, **changes})


def test_routing_to_multi_agency_review(app, client, login_as, concern):
    user_id = login_as("clinician")
    response = _save(client, concern, "route")
    assert response.status_code == 303
    assert response.headers["Location"] == concern["url"]
    page = pages.page_text(client.get(concern["url"]))
    assert "Multi-agency referral recorded." in page
    shown = datetime.now(LONDON).date().strftime("%d %b %Y")
    assert f"Leeds adult MASH, {shown} (reference MASH-2231)" in page
    saved = _concern(app, concern["concern_id"])
    assert (saved.routed_to, saved.routed_on, saved.route_reference, saved.version) == (
        "Leeds adult MASH", datetime.now(LONDON).date(), "MASH-2231", 2)
    [event] = events(app, "safeguarding.routed")
    assert (event.actor_id, event.entity_id) == (user_id, concern["concern_id"])
    assert json.loads(event.data)["routed_to"] == "Leeds adult MASH"
    listed = pages.page_text(client.get("/safeguarding/"))
    assert f"Leeds adult MASH, {shown}" in pages.row_naming(listed, "Guarded SAMPLETON")
    assert pages.version_in(page) == "2", "the forms carry the new version"


def test_a_stale_route_is_a_conflict(app, client, login_as, concern):
    login_as("clinician")
    assert _save(client, concern, "route").status_code == 303
    before = _saved(app)
    body = pages.conflict(_save(client, concern, "route", routed_to="Children's social care", version="1"),
                    "safeguarding concern")
    assert "This safeguarding concern changed since you opened it." in body
    assert "Guarded SAMPLETON" in body
    assert _saved(app) == before


#: case -> (role, form, changes to its valid post, field, message): for each form one of its own rules and one of
#: the domain's (tests/blueprints/test_form_rules.py has the rest of the forms' own)
BAD_SAVES = {
    "a concern of no kind": ("clinician", "raise", {"category": ""}, "category", "Select the kind of concern"),
    "a blank concern": ("clinician", "raise", {"concern": "  \r\n\t "}, "concern", "Describe the concern"),
    "a delay not described": ("clinician", "raise", {"followed_delay": "yes", "delay_detail": " "}, "delay_detail",
                              "Describe the delay it followed"),
    "routed to no one": ("clinician", "route", {"routed_to": ""}, "routed_to",
                         "Enter whom the concern was referred to"),
    "routed to blanks": ("clinician", "route", {"routed_to": "   "}, "routed_to",
                         "Enter whom the concern was referred to"),
    "routed tomorrow": ("clinician", "route", {"routed_on": (datetime.now(LONDON).date() + timedelta(days=1))
                                               .isoformat()}, "routed_on",
                        "The date it was referred must be today or in the past"),
    "no action": ("clinician", "action", {"action": ""}, "action", "Describe the action taken"),
    "an action of blank lines": ("clinician", "action", {"action": " \n "}, "action", "Describe the action taken"),
    "a blank outcome": ("senior", "close", {"outcome": "  "}, "outcome",
                        "Record the outcome of the safeguarding route"),
    "no summary": ("senior", "close", {"summary": ""}, "summary", "Write the closing summary"),
}


@pytest.mark.parametrize("case", BAD_SAVES)
def test_a_bad_save_is_shown_again_beside_its_field_and_nothing_is_saved(app, client, login_as, concern, case):
    role, form, changes, field, message = BAD_SAVES[case]
    login_as(role)
    before = _saved(app)
    body = pages.shown_again(_save(client, concern, form, **changes), field, message)
    assert "Guarded SAMPLETON" in pages.patient_banner(body)
    assert _saved(app) == before


def test_recording_actions(app, client, login_as, concern):
    user_id = login_as("clinician")
    for text in ("Phoned the GP practice", "Home visit booked with the district nurse"):
        response = _save(client, concern, "action", action=text)
        assert response.status_code == 303
        assert response.headers["Location"] == concern["url"]
    page = pages.page_text(client.get(concern["url"]))
    assert "Action recorded." in page
    actions = page[page.index("<h2>Actions</h2>"):]
    assert actions.index("Phoned the GP practice") < actions.index("Home visit booked with the district nurse")
    with app.app_context():
        rows = db.session.execute(select(SafeguardingAction.action, SafeguardingAction.recorded_by)
                                  .order_by(SafeguardingAction.id)).all()
    assert [tuple(r) for r in rows] == [("Phoned the GP practice", user_id),
                                        ("Home visit booked with the district nurse", user_id)]
    assert len(events(app, "safeguarding.action_recorded")) == 2
    assert _concern(app, concern["concern_id"]).version == 1, "an action does not make the route form stale"


def test_a_clinician_may_not_close_a_concern(app, client, login_as, concern):
    user_id = login_as("clinician")
    before = _saved(app)
    response = _save(client, concern, "close")
    assert response.status_code == 403
    assert _saved(app)[:3] == before[:3]
    assert _concern(app, concern["concern_id"]).status == "open"
    denied = [json.loads(e.data)["endpoint"] for e in events(app, "access.denied") if e.actor_id == user_id]
    assert denied == ["safeguarding.close_concern"]


def test_a_senior_closes_the_concern_and_the_banner_clears(app, client, login_as, concern):
    user_id = login_as("senior")
    page = pages.page_text(client.get(concern["url"]))
    assert {"outcome", "summary"} <= pages.field_names(page)
    assert f'action="/safeguarding/{concern["concern_id"]}/close"' in page
    response = _save(client, concern, "close")
    assert response.status_code == 303
    assert response.headers["Location"] == concern["url"]
    page = pages.page_text(client.get(concern["url"]))
    assert "Safeguarding concern closed." in page
    assert "Closed " in page
    assert "MASH: no further action; GP to monitor" in page
    assert "Heating repaired, family visiting daily" in page
    assert {"routed_to", "action", "outcome"}.isdisjoint(pages.field_names(page)), "a closed concern takes no more"
    saved = _concern(app, concern["concern_id"])
    assert (saved.status, saved.closed_by, saved.outcome, saved.closure_summary) == (
        "closed", user_id, "MASH: no further action; GP to monitor", "Heating repaired, family visiting daily")
    [event] = events(app, "safeguarding.closed")
    assert (event.actor_id, event.entity_id) == (user_id, concern["concern_id"])
    for url in (f"/referrals/{concern['referral_id']}", f"/patients/{concern['patient_id']}"):
        assert BANNER not in pages.page_text(client.get(url)), url
    referral_page = pages.page_text(client.get(f"/referrals/{concern['referral_id']}"))
    assert ": closed" in referral_page[referral_page.index("Safeguarding concerns on this referral"):][:400]
    listing = pages.page_text(client.get("/safeguarding/"))
    assert "0 open concerns." in listing
    assert "Guarded SAMPLETON" not in listing

    before = _saved(app)
    for save in (lambda: _save(client, concern, "route", version="2"),
                 lambda: _save(client, concern, "action", action="Late note"),
                 lambda: _save(client, concern, "close", version="2")):
        refused = save()
        assert refused.status_code == 303, "refused: back to the closed concern, with the reason"
        assert "This concern is closed." in pages.page_text(client.get(refused.headers["Location"]))
    assert _saved(app) == before


def test_a_save_on_a_closed_concern_links_its_message_to_something_on_the_page(app, client, login_as, concern):
    """A concern closed while someone else had it open: their save is refused with "This concern is closed.". The
    closed page has no forms, so the error summary's link must not point at a field that is not there."""
    login_as("senior")
    assert _save(client, concern, "close").status_code == 303
    for save in (lambda: _save(client, concern, "route", version="2"),
                 lambda: _save(client, concern, "action", action="Late note")):
        refused = save()
        assert refused.status_code == 303
        body = pages.page_text(client.get(refused.headers["Location"]))
        assert "This concern is closed." in body
        assert "nhsuk-error-summary" not in body, "a notice, not a summary linking to forms that are not there"


# -- the open list ---------------------------------------------------------------------------------------------

def test_the_list_shows_open_concerns_only_oldest_first(app, client, login_as):
    first = accepted_referral(app, given_name="Firstraised")
    second = accepted_referral(app, given_name="Secondraised")
    closed = accepted_referral(app, given_name="Closedone")
    first_id = _raise(app, first["referral_id"], "lost_contact", "Not reached for three weeks")
    _raise(app, second["referral_id"], "domestic_abuse", "Disclosed at the clinic")
    closed_id = _raise(app, closed["referral_id"])
    with app.app_context():
        row = db.session.get(SafeguardingConcern, closed_id)
        safeguarding.close_concern(db.session, staff(db.session, "senior"), row, row.version, "No concern", "Done")
        db.session.commit()
    login_as("clinician")
    body = pages.open_page(client, "/safeguarding/")
    assert "<h1>Open safeguarding concerns</h1>" in body
    assert "2 open concerns." in body
    assert "Closedone SAMPLETON" not in body
    assert body.index("Firstraised SAMPLETON") < body.index("Secondraised SAMPLETON")
    row = pages.row_naming(body, "Firstraised SAMPLETON")
    assert f'href="/safeguarding/{first_id}"' in row
    assert "Lost contact" in row
    assert "Not yet referred" in row
    assert "Domestic abuse" in pages.row_naming(body, "Secondraised SAMPLETON")


# -- who may read and write ------------------------------------------------------------------------------------

def test_an_auditor_reads_but_changes_nothing(app, client, login_as, concern):
    user_id = login_as("auditor")
    assert client.get("/safeguarding/").status_code == 200
    assert "Guarded SAMPLETON" in pages.page_text(client.get("/safeguarding/"))
    body = pages.open_page(client, concern["url"])
    assert "Home very cold, no food" in body
    assert {"routed_to", "action", "outcome", "summary"}.isdisjoint(pages.field_names(body)), "no forms for an auditor"
    before = _saved(app)
    posts = {
        "safeguarding.raise_concern": (f"/safeguarding/referrals/{concern['referral_id']}/new",
                                       {"category": "other", "concern": "Audit note"}),
        "safeguarding.route_concern": (f"{concern['url']}/route", {"routed_to": "MASH", "routed_on": TODAY,
                                                                   "version": "1"}),
        "safeguarding.record_action": (f"{concern['url']}/actions", {"action": "Audit"}),
        "safeguarding.close_concern": (f"{concern['url']}/close", {"outcome": "x", "summary": "y", "version": "1"}),
    }
    for url, data in posts.values():
        assert post_form(client, url, data).status_code == 403, url
    assert client.get(f"/safeguarding/referrals/{concern['referral_id']}/new").status_code == 403
    assert _saved(app)[:3] == before[:3]
    denied = [json.loads(e.data)["endpoint"] for e in events(app, "access.denied") if e.actor_id == user_id]
    assert denied == [*posts, "safeguarding.raise_concern"]


@pytest.mark.parametrize("role", ["booking", "manager"])
def test_booking_and_managers_may_not_open_safeguarding_pages(app, client, login_as, concern, role):
    login_as(role)
    assert client.get("/safeguarding/").status_code == 403
    assert client.get(concern["url"]).status_code == 403
    assert client.get(f"/safeguarding/referrals/{concern['referral_id']}/new").status_code == 403
    before = _saved(app)
    assert post_form(client, f"{concern['url']}/actions", {"action": "Note"}).status_code == 403
    assert _saved(app)[:3] == before[:3]


# -- re-referral -----------------------------------------------------------------------------------------------

def _re_refer_form(client, referral_id: int, **data) -> dict:
    body = client.get(f"/intake/referrals/{referral_id}/re-refer").get_data(as_text=True)
    received = (datetime.now(UTC) - timedelta(hours=2)).astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")
    return {"submission_token": _hidden(body, "submission_token"), "pathway": "msk",
            "referrer_name": "Dr Again", "referrer_organisation": "Second Surgery",
            "referrer_contact": "0113 496 0999", "received_at": received,
            "reason": "Knee pain has returned", "urgency": "urgent", **data}


def _referral_ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Referral.id).order_by(Referral.id)))


#: form -> (a role that fills it, the referral it is for, the link to it on the referral's page, its path, the
#: patient, its heading)
OFFERED = {
    "safeguarding concern": ("clinician", lambda app: accepted_referral(app, given_name="Guarded")["referral_id"],
                             "Raise a safeguarding concern", "/safeguarding/referrals/{}/new", "Guarded SAMPLETON",
                             "Raise a safeguarding concern"),
    "re-referral": ("booking", _rejected, "Re-refer this patient", "/intake/referrals/{}/re-refer",
                    "Rejected SAMPLETON", "New referral, linked to the earlier one"),
}


@pytest.mark.parametrize("form", OFFERED)
def test_the_referral_page_links_the_form_which_is_about_its_patient(app, client, login_as, form):
    role, make, link, path, patient, heading = OFFERED[form]
    referral_id = make(app)
    login_as(role)
    assert f'href="{path.format(referral_id)}">{link}' in pages.open_page(client, f"/referrals/{referral_id}")
    pages.page_about(client, path.format(referral_id), patient, heading)


def test_the_re_referral_form(app, client, login_as):
    referral_id = _rejected(app)
    login_as("booking")
    body = pages.open_page(client, f"/intake/referrals/{referral_id}/re-refer")
    assert "is rejected and stays as it is" in body
    assert {"pathway", "referrer_name", "referrer_organisation", "referrer_contact", "received_at", "reason",
            "urgency", "submission_token", "csrf_token"} <= pages.field_names(body)
    assert '<option value="msk" selected' in body, "the earlier referral's pathway is the starting point"
    assert 'type="datetime-local"' in body


def test_a_booking_user_re_refers_a_rejected_referral(app, client, login_as):
    old_id = _rejected(app)
    user_id = login_as("booking")
    data = _re_refer_form(client, old_id)
    response = post_form(client, f"/intake/referrals/{old_id}/re-refer", data)
    assert response.status_code == 303
    [_old, new_id] = _referral_ids(app)
    assert response.headers["Location"] == f"/referrals/{new_id}"
    with app.app_context():
        old, new = db.session.get(Referral, old_id), db.session.get(Referral, new_id)
        assert (new.previous_referral_id, new.patient_id, new.state, new.referrer_name, new.urgency) == (
            old_id, old.patient_id, "received", "Dr Again", "urgent")
        assert new.received_at.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M") == data["received_at"], \
            "the form's time is UK time"
        assert (old.state, old.version) == ("rejected", 2), "the earlier referral stays as it is"
    new_page = pages.page_text(client.get(f"/referrals/{new_id}"))
    assert "Referral received" in new_page
    assert "Linked to the existing record for this NHS number." in new_page
    assert f'href="/referrals/{old_id}">Earlier referral this one re-refers' in new_page
    old_page = pages.page_text(client.get(f"/referrals/{old_id}"))
    assert f'href="/referrals/{new_id}">Re-referral received' in old_page
    assert "(received)" in old_page
    [event] = events(app, "referral.re_referred")
    assert (event.actor_id, event.referral_id, json.loads(event.data)["new_referral_id"]) == (user_id, old_id, new_id)
    assert len(events(app, "referral.received")) == 2

    again = post_form(client, f"/intake/referrals/{old_id}/re-refer", data)
    assert again.status_code == 303, "a second submit finds the first"
    assert again.headers["Location"] == f"/referrals/{new_id}"
    assert len(_referral_ids(app)) == 2


def test_a_discharged_referral_is_re_referred_too(app, client, login_as):
    old_id = _discharged(app)
    login_as("clinician")
    response = post_form(client, f"/intake/referrals/{old_id}/re-refer", _re_refer_form(client, old_id))
    assert response.status_code == 303
    new_id = _referral_ids(app)[-1]
    assert new_id != old_id
    assert _referral_state(app, old_id) == "discharged"
    assert f'href="/referrals/{old_id}">Earlier referral' in pages.page_text(client.get(f"/referrals/{new_id}"))


def test_an_open_referral_is_not_re_referred(app, client, login_as, active):
    login_as("booking")
    assert "Re-refer this patient" not in pages.page_text(client.get(f"/referrals/{active['referral_id']}"))
    before = _saved(app)
    response = post_form(client, f"/intake/referrals/{active['referral_id']}/re-refer",
                         _re_refer_form(client, active["referral_id"]))
    assert response.status_code == 400
    body = pages.page_text(response)
    assert pages.broken_summary_links(body) == []
    assert "There is a problem" in body
    assert "Only a discharged or rejected referral is re-referred; this one is still open." in body
    assert _saved(app) == before


def test_an_empty_re_referral_is_shown_again_and_nothing_is_saved(app, client, login_as):
    """Each field's message beside it (tests/blueprints/test_form_rules.py checks the re-referral's rules)."""
    old_id = _rejected(app)
    login_as("booking")
    before = _saved(app)
    response = post_form(client, f"/intake/referrals/{old_id}/re-refer", {})
    for field, message in (("pathway", "Select the pathway"), ("referrer_name", "Enter the referrer's name"),
                           ("referrer_organisation", "Enter the referrer's organisation"),
                           ("referrer_contact", "Enter the referrer's contact details"),
                           ("received_at", "Enter the date and time received"),
                           ("reason", "Enter the reason for referral"), ("urgency", "Select the urgency")):
        pages.shown_again(response, field, message)
    assert _saved(app) == before


@pytest.mark.parametrize("role", ["auditor", "manager"])
def test_only_clinical_staff_re_refer(app, client, login_as, role):
    old_id = _rejected(app)
    login_as(role)
    assert client.get(f"/intake/referrals/{old_id}/re-refer").status_code == 403
    response = post_form(client, f"/intake/referrals/{old_id}/re-refer", {"pathway": "msk"})
    assert response.status_code == 403
    assert len(_referral_ids(app)) == 1
