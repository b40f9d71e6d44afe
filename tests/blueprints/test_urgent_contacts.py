"""Recording a crisis or urgent contact from the referral page: the form, what the referral page and timelines then
show, a bad save shown again beside its field, and booking staff refused (a delay is a clinical judgement)."""
import re
from datetime import datetime, timedelta

import pytest

from inclusive_access.domain.validation import LONDON
from inclusive_access.models import Event, UrgentContact
from tests.blueprints.pages import field_names, open_page, page_text, redirected, shown_again
from tests.blueprints.records import accepted_referral, count, events, stored_row
from tests.conftest import post_form

TODAY = datetime.now(LONDON).date()


@pytest.fixture
def referral(app) -> dict:
    return accepted_referral(app, given_name="Urgent")


def _url(referral: dict) -> str:
    return f"/urgent-contacts/referrals/{referral['referral_id']}/new"


def _form(client, referral: dict, **data) -> dict:
    body = open_page(client, _url(referral), "Record an urgent contact")
    token = re.search(r'name="submission_token"[^>]*value="([^"]*)"', body).group(1)
    return {"submission_token": token, "kind": "crisis_team", "occurred_on": (TODAY - timedelta(days=2)).isoformat(),
            "source": "carer", "followed_delay": "yes", "delay_detail": "Six weeks waiting for a first appointment",
            **data}


def test_a_clinician_records_an_urgent_contact_from_the_referral_page(app, client, login_as, referral):
    user_id = login_as("clinician")
    referral_url = f"/referrals/{referral['referral_id']}"
    assert f'href="{_url(referral)}">Record an urgent contact</a>' in open_page(client, referral_url)
    form = _form(client, referral)
    assert {"kind", "occurred_on", "source", "followed_delay", "delay_detail", "submission_token"} <= field_names(
        open_page(client, _url(referral)))

    page = redirected(client, post_form(client, _url(referral), form), referral_url)

    assert "Urgent contact recorded." in page
    listed = page[page.index("<h2>Urgent contacts</h2>"):]
    assert (f"Crisis team contact, {TODAY - timedelta(days=2):%d %b %Y}. Who told us: a carer or relative. "
            "Followed a delay on the pathway: yes.") in listed
    [event] = events(app, "urgent_contact.recorded")
    assert (event.actor_id, event.referral_id, event.patient_id) == (user_id, referral["referral_id"],
                                                                      referral["patient_id"])
    contact = stored_row(app, UrgentContact, event.entity_id)
    assert (contact.kind, contact.source, contact.delay_detail) == (
        "crisis_team", "carer", "Six weeks waiting for a first appointment")
    sentence = "Recorded an urgent contact: Crisis team contact. On:"
    filtered = page_text(client.get(f"{referral_url}?kind=urgent_contacts"))
    assert sentence in filtered
    assert "The delay: Six weeks waiting for a first appointment" in filtered
    assert "Accepted the referral at triage" not in filtered, "the filter shows urgent contacts alone"
    assert sentence in open_page(client, f"/patients/{referral['patient_id']}"), "the patient's timeline has it"


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"occurred_on": (TODAY + timedelta(days=1)).isoformat()}, "occurred_on",
     "The date it happened must be today or in the past"),  # the domain's rule
    ({"delay_detail": ""}, "delay_detail", "Describe the delay it followed"),  # the domain's rule
    ({"followed_delay": ""}, "followed_delay", "Select whether it followed a delay on the pathway"),  # the form's
])
def test_a_bad_save_is_shown_again_beside_its_field_and_nothing_is_saved(app, client, login_as, referral, changes,
                                                                         field, message):
    login_as("clinician")
    form = _form(client, referral, **changes)
    saved = count(app, Event, Event.action != "record.viewed")
    body = shown_again(post_form(client, _url(referral), form), field, message)
    assert re.search(r'<option value="crisis_team"[^>]*selected', body), "what was entered is kept"
    assert count(app, UrgentContact) == 0
    assert count(app, Event, Event.action != "record.viewed") == saved


def test_booking_staff_may_not_record_an_urgent_contact(app, client, login_as, referral):
    login_as("booking")
    assert "/urgent-contacts/" not in open_page(client, f"/referrals/{referral['referral_id']}")
    assert client.get(_url(referral)).status_code == 403
    assert post_form(client, _url(referral), {"kind": "admission", "occurred_on": TODAY.isoformat(),
                                              "source": "patient", "followed_delay": "no"}).status_code == 403
    assert count(app, UrgentContact) == 0
