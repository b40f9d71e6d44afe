"""The outreach minimum record from a clinician's device: the page only the session's named clinicians open, the JSON
endpoint that stores each record once however often the device sends it, the fresh CSRF token a page opened from
the device's cache sends with, and the service worker and manifest that make the page work without signal."""
import json
import urllib.error
import urllib.request
from collections import Counter
from types import SimpleNamespace

import pytest

from inclusive_access.domain import outreach
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.outreach_records import RISKS
from inclusive_access.domain.segments import FLAG_LABELS
from inclusive_access.extensions import db
from inclusive_access.models import OutreachRecord, User
from tests.blueprints.pages import field_names, open_page
from tests.blueprints.records import count, events
from tests.conftest import ON_BOTH_DATABASES
from tests.factories import make_user, staff
from tests.live_server import Browser, at_once
from tests.outreach_factories import minimum_record, planned_session
from tests.serving import serve

#: what receive_record takes from the device besides the key and the time seen, which the page's script adds
RECORD_FIELDS = {"given_name", "name_is_alias", "family_name", "approximate_age", "date_of_birth", "nhs_number",
                 "postcode", "consent_to_share", "shared_with_partner_ids", "presenting_need", "exploitation_risk",
                 "self_neglect_risk", "safeguarding_detail", "flags", "action_agreed", "follow_up_on",
                 "follow_up_plan"}


@pytest.fixture
def named(app, login_as) -> SimpleNamespace:
    """A hostel session the signed-in clinician is named on, and a partner that has since stopped working with the
    service (so not offered)."""
    user_id = login_as("clinician")
    with app.app_context():
        manager = staff(db.session, "manager")
        planned = planned_session(db.session, manager, [actor_for(db.session.get(User, user_id))])
        former = outreach.add_partner(db.session, manager, outreach.parse_partner({
            "name": "Closed Day Centre Trust", "kind": "voluntary", "sharing_agreement": "ISA v1 (synthetic)"}))
        former.active = False
        db.session.commit()
        return SimpleNamespace(user_id=user_id, session_id=planned.id, partner_id=planned.venue.partner_id,
                               page=f"/outreach/sessions/{planned.id}/record",
                               records=f"/outreach/sessions/{planned.id}/records")


#: send with the session's own CSRF token
SESSION_TOKEN = object()


def send(client, url: str, record: dict, token: object = SESSION_TOKEN):
    """POST a record as the page's script does: JSON, with the CSRF token (None: none) in the X-CSRFToken header."""
    headers = {"X-CSRFToken": client.csrf_token() if token is SESSION_TOKEN else token} if token else {}
    return client.post(url, json=record, headers=headers)


def test_a_named_clinician_sends_a_record_and_a_repeat_of_it_stores_nothing_more(app, client, named):
    record = minimum_record(shared_with_partner_ids=[str(named.partner_id)])

    first = send(client, named.records, record)
    again = send(client, named.records, record)

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json() == again.get_json() == {"id": first.get_json()["id"]}
    assert count(app, OutreachRecord) == 1
    [event] = events(app, "outreach_record.received")
    assert (event.actor_id, json.loads(event.data)["given_name"]) == (named.user_id, "Alex")


def test_a_record_with_problems_is_refused_naming_each_and_nothing_is_stored(app, client, named):
    response = send(client, named.records, minimum_record(given_name="", exploitation_risk="yes",
                                                          nhs_number="1234567890"))

    assert response.status_code == 422
    assert response.get_json() == {"errors": {
        "given_name": "Enter a name or the name they want to be called",
        "safeguarding_detail": "Enter what the safeguarding worry is",
        "nhs_number": "Enter a valid NHS number (the check digit does not match)"}}
    assert count(app, OutreachRecord) == 0


@ON_BOTH_DATABASES
def test_a_body_that_is_not_a_record_lacks_everything(app, client, named):
    response = client.post(named.records, data="given_name=Alex", content_type="application/x-www-form-urlencoded",
                           headers={"X-CSRFToken": client.csrf_token()})
    assert response.status_code == 422
    assert {"client_key", "given_name", "presenting_need"} <= response.get_json()["errors"].keys()
    assert count(app, OutreachRecord) == 0


def test_a_send_without_the_csrf_token_is_refused(app, client, named):
    response = send(client, named.records, minimum_record(), token=None)
    assert response.status_code == 400
    assert count(app, OutreachRecord) == 0


def test_the_token_the_page_fetches_before_sending_is_the_signed_in_users(app, client, named):
    answer = client.get("/outreach/csrf-token")
    assert answer.status_code == 200
    assert answer.get_json()["user"] == named.user_id
    assert send(client, named.records, minimum_record(), token=answer.get_json()["token"]).status_code == 201


def test_signed_out_the_device_is_sent_to_sign_in_and_its_record_is_not_taken(app, client, named):
    client.post("/auth/logout", data={"csrf_token": client.csrf_token()})
    for response in (client.get("/outreach/csrf-token"), send(client, named.records, minimum_record())):
        assert (response.status_code, response.headers["Location"].split("?")[0]) == (302, "/auth/login")
    assert count(app, OutreachRecord) == 0


def test_a_clinician_not_named_on_the_session_can_neither_open_it_nor_send_to_it(app, client, login_as, named):
    login_as("senior")
    assert client.get(named.page).status_code == 403
    response = send(client, named.records, minimum_record())
    assert response.status_code == 403
    assert response.get_json() == {"errors": {
        "session": "Only the clinicians named on this session may record what they see there."}}
    assert count(app, OutreachRecord) == 0


@pytest.mark.parametrize("role", ["booking", "auditor", "manager"])
def test_other_roles_are_refused_the_page_the_token_and_the_endpoint(app, client, login_as, named, role):
    login_as(role)
    answers = [client.get(named.page), client.get("/outreach/csrf-token"),
               send(client, named.records, minimum_record())]
    assert [response.status_code for response in answers] == [403, 403, 403]
    assert count(app, OutreachRecord) == 0


def test_a_session_that_does_not_exist_is_not_found(client, named):
    assert client.get("/outreach/sessions/999999/record").status_code == 404
    assert send(client, "/outreach/sessions/999999/records", minimum_record()).status_code == 404


@ON_BOTH_DATABASES
def test_the_page_asks_for_exactly_what_the_server_takes(app, client, named):
    body = open_page(client, named.page, "Record someone seen at this session")
    form = body[body.index('<form id="record-form"'):]
    form = form[:form.index("</form>")]
    assert field_names(form) == RECORD_FIELDS
    assert f'value="{named.partner_id}"' in form
    assert "Closed Day Centre Trust" not in form  # current partners only
    assert all(label in form for label in [*FLAG_LABELS.values(), *RISKS.values()])
    assert f'data-device-hours="{app.config["OUTREACH_DEVICE_HOURS"]}"' in body
    assert f'data-records-url="{named.records}"' in body
    assert '<script type="module" src="/static/outreach/record.js"></script>' in body
    assert '<link rel="manifest" href="/static/outreach/manifest.webmanifest">' in body


def test_the_service_worker_is_served_under_the_outreach_path_to_anyone(app):
    response = app.test_client().get("/outreach/service-worker")
    assert (response.status_code, response.mimetype) == (200, "text/javascript")
    assert "addEventListener('fetch'" in response.get_data(as_text=True)
    csp = response.headers["Content-Security-Policy"]
    assert "worker-src 'self'" in csp
    assert "script-src 'self'" in csp


def test_the_manifest_makes_the_page_installable_with_icons_that_are_there(app):
    client = app.test_client()
    manifest = client.get("/static/outreach/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    data = manifest.get_json(force=True)
    assert (data["scope"], data["display"]) == ("/outreach/", "standalone")
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in data["icons"] if icon["purpose"] == "any"}
    assert all(client.get(icon["src"]).status_code == 200 for icon in data["icons"])


def test_the_same_record_sent_at_once_from_many_retries_is_stored_once(app):
    """A device that retries while its first send is still on its way: every send of the key lands together."""
    with app.app_context():
        clinician = actor_for(make_user(db.session, role="clinician", username="outreach.racer"))
        planned = planned_session(db.session, staff(db.session, "manager"), [clinician])
        db.session.commit()
        url = f"/outreach/sessions/{planned.id}/records"
    body = json.dumps(minimum_record()).encode()
    with serve(app) as base:
        device = Browser(base).sign_in("outreach.racer")
        token = json.loads(device.request("/outreach/csrf-token")[1])["token"]

        def one_send() -> int:
            request = urllib.request.Request(base + url, body, {"Content-Type": "application/json",  # noqa: S310
                                                                "X-CSRFToken": token})
            try:
                with device.opener.open(request, timeout=60) as answer:
                    return answer.status
            except urllib.error.HTTPError as refused:
                return refused.code

        statuses = Counter(at_once(8, one_send))
    assert statuses == {201: 1, 200: 7}
    assert count(app, OutreachRecord) == 1
    assert len(events(app, "outreach_record.received")) == 1
