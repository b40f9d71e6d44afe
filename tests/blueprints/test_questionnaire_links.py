"""Questionnaire links through the web: staff send one from the referral page and see it once; the patient opens it
without signing in, on a page of its own, answers once and is thanked; a used, expired, forged or unknown link shows
one page that says nothing about the patient or the questionnaire."""
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from config import TestConfig
from inclusive_access.domain import questionnaire_links
from inclusive_access.extensions import db
from inclusive_access.models import Event, QuestionnaireLink, QuestionnaireResponse, Referral
from tests.blueprints.pages import field_names, open_page, page_text, shown_again
from tests.blueprints.records import accepted_referral, count, stored_row
from tests.conftest import ON_BOTH_DATABASES, post_form
from tests.factories import staff
from tests.live_server import Browser, at_once
from tests.serving import serve

SIGNING = questionnaire_links.signer(TestConfig.SECRET_KEY)
PSFS_TITLE = "Patient-Specific Functional Scale (PSFS)"
UNAVAILABLE = "This link has expired or has already been used"


@pytest.fixture
def referral(app) -> dict:
    return accepted_referral(app, given_name="Olwen", family_name="Quayle")


def sent_link(app, referral: dict, instrument: str = "psfs", easy_read: bool = False,
              sent_at: datetime | None = None) -> str:
    """A link sent through the domain by a booking-team member: its token."""
    with app.app_context():
        issued = questionnaire_links.issue_link(
            db.session, staff(db.session, "booking"), db.session.get(Referral, referral["referral_id"]),
            app.extensions["instruments"][instrument], "first_contact", easy_read, questionnaire_links.LinkRules(),
            SIGNING, now=sent_at)
        db.session.commit()
        return issued.token


def _issue_form(client, referral: dict, **data) -> dict:
    body = open_page(client, f"/questionnaire-links/referrals/{referral['referral_id']}/new",
                     "Send a questionnaire link")
    token = re.search(r'name="submission_token"[^>]*value="([^"]*)"', body).group(1)
    return {"submission_token": token, "instrument": "psfs", "time_point": "first_contact", "wording": "easy_read",
            **data}


def test_booking_staff_send_a_link_from_the_referral_page_and_see_it_once(app, client, login_as, referral):
    login_as("booking")
    referral_url = f"/referrals/{referral['referral_id']}"
    new_url = f"/questionnaire-links/referrals/{referral['referral_id']}/new"
    assert f'href="{new_url}">Send a questionnaire link</a>' in open_page(client, referral_url)
    assert {"instrument", "time_point", "wording", "submission_token"} <= field_names(open_page(client, new_url))
    form = _issue_form(client, referral)
    response = post_form(client, new_url, form)
    assert response.status_code == 200
    body = page_text(response)
    url = re.search(r'id="link" type="text" value="([^"]+)"', body).group(1)
    assert url.startswith("http://localhost/q/")
    assert "This is the only time the link is shown" in body
    assert "GOV.UK Notify" in body
    link = stored_row(app, QuestionnaireLink, 1)
    assert (link.instrument_id, link.time_point, link.easy_read, link.used_at) == ("psfs", "first_contact", True, None)
    assert url.rsplit("/", 1)[1] not in open_page(client, referral_url), "the referral page never shows it"
    assert f"{PSFS_TITLE} (at first contact, easy read), sent" in page_text(client.get(referral_url))
    again = post_form(client, new_url, form)
    assert again.status_code == 303
    assert again.headers["Location"] == referral_url
    assert "That link was made already and shown once" in open_page(client, referral_url)
    assert count(app, QuestionnaireLink) == 1
    patient = app.test_client()
    assert "Hello Olwen." in open_page(patient, url.removeprefix("http://localhost"), PSFS_TITLE)


def test_a_link_form_missing_its_answers_is_shown_again(app, client, login_as, referral):
    login_as("clinician")
    response = post_form(client, f"/questionnaire-links/referrals/{referral['referral_id']}/new",
                         _issue_form(client, referral, instrument="", wording=""))
    shown_again(response, "instrument", "Select the questionnaire to send")
    assert "Select the wording it opens in" in page_text(response)
    assert count(app, QuestionnaireLink) == 0


def test_the_patient_answers_without_signing_in_on_a_page_with_no_staff_navigation(app, client, referral):
    url = f"/q/{sent_link(app, referral)}"
    body = open_page(client, url, PSFS_TITLE)
    assert "Hello Olwen." in body
    assert "Quayle" not in body, "the first name alone"
    assert "Sign out" not in body
    assert 'href="/referrals' not in body
    assert "Sign in" not in body
    assert body.count("<fieldset") == 3
    assert "Activity 1" in body
    assert "0 – Unable to perform activity" in body
    assert {"csrf_token", "easy-read", "activity_1", "activity_2", "activity_3"} == field_names(body)
    response = post_form(client, url, {"activity_1": "4", "easy-read": "no"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/q/thank-you?easy-read=no"
    assert "Your answers have been sent to your care team" in open_page(client, response.headers["Location"])
    stored = stored_row(app, QuestionnaireResponse, 1)
    assert (stored.mode, stored.recorded_by, stored.score) == ("patient_link", None, 4.0)


@ON_BOTH_DATABASES
def test_the_patient_switches_to_easy_read_and_back(app, client, referral):
    url = f"/q/{sent_link(app, referral)}"
    plain = open_page(client, url)
    assert "Activity 1" in plain
    assert 'href="?easy-read=yes"' in plain
    assert "Thing 1" not in plain
    easy = open_page(client, url + "?easy-read=yes")
    assert "Thing 1" in easy
    assert "0 – I cannot do it" in easy
    assert 'href="?easy-read=no"' in easy
    assert 'name="easy-read" value="yes"' in easy
    assert "Thing 1" in open_page(client, f"/q/{sent_link(app, referral, easy_read=True)}"), "as it was sent"


def test_a_question_left_out_is_shown_again_in_the_chosen_wording(app, client, referral):
    url = f"/q/{sent_link(app, referral)}"
    response = post_form(client, url, {"activity_2": "6", "easy-read": "yes"})
    body = shown_again(response, "activity_1", "Choose an answer")
    assert "Thing 1" in body
    assert 'value="6" checked' in body, "the answers given are kept"
    assert count(app, QuestionnaireResponse) == 0
    assert open_page(client, url)


def _assert_shows_nothing(response, *secrets: str) -> str:
    assert response.status_code == 404
    body = page_text(response)
    assert UNAVAILABLE in body
    assert "Contact the service that sent it to you" in body
    for secret in ("Olwen", "Quayle", PSFS_TITLE, "Activity", "Unable to perform", *secrets):
        assert secret.lower() not in body.lower(), secret
    return body


def test_a_used_link_shows_nothing_of_the_patient_the_questionnaire_or_the_answers(app, client, referral):
    url = f"/q/{sent_link(app, referral)}"
    assert post_form(client, url, {"activity_1": "7"}).status_code == 303
    _assert_shows_nothing(client.get(url), "7 –")
    _assert_shows_nothing(post_form(client, url, {"activity_1": "2"}))
    assert count(app, QuestionnaireResponse) == 1


def test_an_expired_forged_or_unknown_link_shows_the_same_page(app, client, referral):
    expired = sent_link(app, referral, sent_at=datetime.now(UTC) - timedelta(days=15))
    genuine = sent_link(app, referral)
    link_id, secret = SIGNING.loads(genuine)
    pages = [_assert_shows_nothing(client.get(f"/q/{token}")) for token in (
        expired, questionnaire_links.signer("another-key").dumps([link_id, secret]),
        SIGNING.dumps([link_id + 5, secret]), "nonsense")]
    without_nonces = {re.sub(r'nonce="[^"]+"|id="request-id">[^<]*', "", page) for page in pages}
    assert len(without_nonces) == 1, "one page, whatever the reason"


def test_too_many_bad_links_from_one_address_are_refused_with_429(app, client, referral):
    app.config["QUESTIONNAIRE_LINK_SOURCE_LIMIT"] = 2
    genuine = sent_link(app, referral)
    for guess in ("guess-one", "guess-two"):
        assert client.get(f"/q/{guess}").status_code == 404
    response = client.get(f"/q/{genuine}")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many attempts" in page_text(response)
    assert "Olwen" not in page_text(response)
    other_address = app.test_client()
    assert other_address.get(f"/q/{genuine}", environ_base={"REMOTE_ADDR": "198.51.100.20"}).status_code == 200


@pytest.mark.parametrize("role", ["auditor", "manager"])
def test_roles_that_do_not_contact_patients_are_not_offered_a_link(app, client, login_as, referral, role):
    login_as(role)
    assert "Send a questionnaire link" not in open_page(client, f"/referrals/{referral['referral_id']}")
    assert client.get(f"/questionnaire-links/referrals/{referral['referral_id']}/new").status_code == 403


def test_submits_of_one_link_racing_each_other_store_one_set_of_answers(app, referral):
    url = f"/q/{sent_link(app, referral)}"
    racers = 8  # within the link's and the address's allowances, so only the use-once rule decides
    with serve(app) as base:
        patient = Browser(base)
        _status, body, _headers = patient.request(url)
        answers = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', body).group(1), "activity_1": "5"}
        statuses = at_once(racers, lambda: patient.request(url, answers)[0])
    assert Counter(statuses) == {303: 1, 404: racers - 1}
    assert count(app, QuestionnaireResponse) == 1
    assert count(app, Event, Event.action == "questionnaire.completed") == 1
