"""The outreach minimum record on a phone with and without signal, in Chromium: the page opens from the service
worker's copy with the network off, records wait encrypted on the device and reach the server once each when the
signal returns, even when a send is cut off after the server stored it; a refused record is corrected and sent;
unsent records are wiped after the hours set; the page is axe-clean at 375 px."""
import re
import socket
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from inclusive_access.extensions import db
from tests.browser import steps
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

#: what Chromium logs for each request it could not make with the network off: expected, not a fault
NO_NETWORK = "ERR_INTERNET_DISCONNECTED"
NO_SIGNAL = "No signal: records stay on this device and are sent when the signal returns."


@pytest.fixture
def outreach_session(live_server) -> SimpleNamespace:
    """A hostel session that started an hour ago, with the browser's clinician named on it."""
    from inclusive_access.domain.actors import actor_for
    from inclusive_access.models import User
    from tests.factories import staff
    from tests.outreach_factories import planned_session

    with live_server.app.app_context():
        clinician = actor_for(db.session.scalars(select(User).filter_by(username=live_server.clinician)).one())
        planned = planned_session(db.session, staff(db.session, "manager", "browser.outreach.manager"), [clinician],
                                  starts_at=datetime.now(UTC) - timedelta(hours=1))
        db.session.commit()
        return SimpleNamespace(url=f"{live_server.url}/outreach/sessions/{planned.id}/record", id=planned.id)


def open_the_record_page(page: Page, server, session) -> None:
    """Sign in as the session's clinician on a phone and open the record page, kept by the service worker."""
    page.set_viewport_size(steps.PHONE)
    steps.sign_in_as(page, server, server.clinician)
    page.goto(session.url)
    expect(page.get_by_role("heading", name="Record someone seen at this session")).to_be_visible()
    expect(page.locator("#outreach-device")).to_have_attribute("data-offline-ready", "yes")


def complete_a_record(page: Page, name: str, **answers: str) -> None:
    """Fill in the minimum record for someone who gave `name`, nothing of concern, and save it on the device."""
    page.get_by_label("Name, or the name they want to be called").fill(name)
    page.get_by_label("Approximate age in years (optional)").fill(answers.get("age", "40"))
    page.get_by_role("group", name="Do they agree to information being shared with partners?").get_by_label(
        "No", exact=True).check()
    page.get_by_label("Presenting need").fill("Low mood, sleeping rough for two weeks")
    page.get_by_role("group", name="Is there a risk of exploitation?").get_by_label("No", exact=True).check()
    page.get_by_role("group", name="Is there a risk of self-neglect?").get_by_label("No", exact=True).check()
    page.get_by_role("group", name="Inequality flags").get_by_label("Housing instability").check()
    page.get_by_label("Action agreed").fill("GP registration started")
    page.get_by_role("button", name="Save record").click()
    expect(page.locator("#record-saved")).to_contain_text(f"The record for {name} is kept on this device")


def waiting_on_the_device(page: Page) -> list[dict]:
    """Each record in the device's queue as IndexedDB holds it: its state, whether its content is sealed (bytes)
    and whether those bytes or any other stored value contain `Alex` as text; and whether the key is exportable."""
    return page.evaluate("""async () => {
      const db = await new Promise((resolve, reject) => {
        const opening = indexedDB.open('inclusive-access-outreach')
        opening.onsuccess = () => resolve(opening.result)
        opening.onerror = () => reject(opening.error)
      })
      const all = (name) => new Promise((resolve) => {
        const request = db.transaction(name).objectStore(name).getAll()
        request.onsuccess = () => resolve(request.result)
      })
      const [rows, keys] = [await all('records'), await all('keys')]
      db.close()
      return rows.map((row) => ({
        state: row.state,
        sealed: row.sealed instanceof ArrayBuffer,
        nameInStore: new TextDecoder('latin1').decode(row.sealed).includes('Alex') ||
          JSON.stringify({ ...row, sealed: null, iv: null }).includes('Alex'),
        keyExtractable: keys.map((stored) => stored.key.extractable),
        keyType: keys.map((stored) => stored.key.algorithm.name),
      }))
    }""")


def on_the_server(server) -> list[tuple[str, str]]:
    """(given name, device key) of every minimum record the server holds."""
    from inclusive_access.models import OutreachRecord

    with server.app.app_context():
        held = db.session.execute(select(OutreachRecord.given_name, OutreachRecord.client_key))
        return sorted(tuple(row) for row in held)


def test_two_records_made_without_signal_reach_the_server_once_each(page: Page, live_server, outreach_session,
                                                                    console_errors):
    open_the_record_page(page, live_server, outreach_session)

    page.context.set_offline(True)
    opened = page.reload()
    assert opened.from_service_worker, "opened from the service worker's copy"
    expect(page.get_by_role("heading", name="Record someone seen at this session")).to_be_visible()
    complete_a_record(page, "Alex")
    complete_a_record(page, "Sam", age="23")

    expect(page.locator("#queue-count")).to_have_text("2 records waiting to send.")
    expect(page.locator("#queue-connection")).to_have_text(NO_SIGNAL)
    expect(page.locator("#queue-list > li")).to_have_count(2)
    stored = waiting_on_the_device(page)
    assert [(row["state"], row["sealed"], row["nameInStore"]) for row in stored] == [("waiting", True, False)] * 2
    assert (stored[0]["keyExtractable"], stored[0]["keyType"]) == ([False], ["AES-GCM"])
    assert on_the_server(live_server) == []
    steps.screenshot(page, "outreach-two-waiting-offline")

    page.context.set_offline(False)

    expect(page.locator("#queue-count")).to_have_text("No records waiting to send.")
    held = on_the_server(live_server)
    assert [name for name, _key in held] == ["Alex", "Sam"]
    assert len({key for _name, key in held}) == 2
    assert waiting_on_the_device(page) == [], "sent records, and with them the key, are gone from the device"
    console_errors[:] = [message for message in console_errors if NO_NETWORK not in message]
    steps.assert_no_csp_violations(console_errors)


@pytest.fixture
def first_answer_lost(live_server) -> list[str]:
    """The signal lost mid-send: the server stores the first record sent, then the connection drops before its
    answer leaves. Returns the status the server would have answered (once it has)."""
    served, lost = live_server.app.wsgi_app, []

    def dropping(environ, start_response):
        if lost or environ["REQUEST_METHOD"] != "POST" or not environ["PATH_INFO"].endswith("/records"):
            return served(environ, start_response)
        answer = b"".join(served(environ, lambda status, _headers, _exc_info=None: lost.append(status)))
        assert answer  # the request ran to its end (and its commit) before the connection went
        environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
        start_response("200 OK", [])
        return []

    live_server.app.wsgi_app = dropping
    return lost


def test_a_send_cut_off_after_the_server_stored_it_is_sent_again_and_stored_once(page: Page, live_server,
                                                                                 outreach_session, first_answer_lost):
    open_the_record_page(page, live_server, outreach_session)

    complete_a_record(page, "Alex")

    # no answer came back, as when the signal goes: the record waits
    expect(page.locator("#queue-connection")).to_have_text(NO_SIGNAL)
    expect(page.locator("#queue-count")).to_have_text("1 record waiting to send.")
    assert first_answer_lost == ["201 CREATED"]
    assert [name for name, _key in on_the_server(live_server)] == ["Alex"]

    page.get_by_role("button", name="Send now").click()

    expect(page.locator("#queue-count")).to_have_text("No records waiting to send.")
    assert [name for name, _key in on_the_server(live_server)] == ["Alex"]
    assert waiting_on_the_device(page) == []


def test_a_record_the_server_refuses_stays_on_the_device_until_corrected(page: Page, live_server, outreach_session):
    open_the_record_page(page, live_server, outreach_session)

    complete_a_record(page, "A" * 101)  # longer than the server keeps: only the server checks that

    expect(page.locator("#queue-count")).to_have_text("No records waiting to send; 1 record needs correcting.")
    refused = page.locator("#queue-list > li")
    expect(refused).to_contain_text("Not accepted")
    expect(refused).to_contain_text("A name or the name they want to be called must be 100 characters or fewer")
    assert on_the_server(live_server) == []

    refused.get_by_role("button", name="Correct this record").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_focused()
    page.get_by_role("link", name="must be 100 characters or fewer").click()
    expect(page.get_by_label("Name, or the name they want to be called")).to_be_focused()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("Alex")
    page.get_by_role("button", name="Save corrected record").click()

    expect(page.locator("#queue-count")).to_have_text("No records waiting to send.")
    assert [name for name, _key in on_the_server(live_server)] == ["Alex"]


def test_a_record_waits_through_an_ended_sign_in_and_is_sent_once_signed_in_again(page: Page, live_server,
                                                                                  outreach_session):
    open_the_record_page(page, live_server, outreach_session)
    page.context.set_offline(True)
    complete_a_record(page, "Alex")
    page.context.clear_cookies()  # the sign-in ends while the phone has no signal

    page.context.set_offline(False)

    told = page.locator("#queue-sign-in")
    expect(told).to_contain_text("Your sign-in has ended. The records stay on this device until you sign in again")
    expect(page.locator("#queue-count")).to_have_text("1 record waiting to send.")
    assert on_the_server(live_server) == []
    told.get_by_role("link", name="sign in again").click()
    page.get_by_label("Username", exact=True).fill(live_server.clinician)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Record someone seen at this session")).to_be_visible()
    expect(page.locator("#queue-count")).to_have_text("No records waiting to send.")
    assert [name for name, _key in on_the_server(live_server)] == ["Alex"]


def test_unsent_records_are_wiped_after_the_hours_set_and_the_page_says_so(page: Page, live_server,
                                                                           outreach_session):
    live_server.app.config["OUTREACH_DEVICE_HOURS"] = 0  # every record is older than that at the next check
    open_the_record_page(page, live_server, outreach_session)
    page.context.set_offline(True)

    complete_a_record(page, "Alex")

    expect(page.locator("#queue-wiped-text")).to_have_text(
        "1 unsent record was wiped from this device after 0 hours without being sent. The service does not have it: "
        "record it again if you can.")
    expect(page.locator("#queue-count")).to_have_text("No records waiting to send.")
    assert waiting_on_the_device(page) == []
    page.get_by_role("button", name="I have read this").click()
    expect(page.locator("#queue-wiped")).to_be_hidden()


def test_the_record_page_and_its_device_errors_are_accessible_on_a_phone(page: Page, live_server, outreach_session,
                                                                         console_errors):
    open_the_record_page(page, live_server, outreach_session)
    steps.assert_no_accessibility_violations(page, "outreach record (375 px)")

    page.get_by_role("button", name="Save record").click()

    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error: Outreach record: Quayside Hostel"))
    expect(summary.get_by_role("link")).to_have_text([
        "Enter a name or the name they want to be called",
        "Select yes or no for whether they agree to information being shared", "Enter the presenting need",
        "Select an answer for risk of exploitation", "Select an answer for risk of self-neglect",
        "Enter the action agreed"])
    expect(page.locator("#given_name-error")).to_have_text("Error: Enter a name or the name they want to be called")
    summary.get_by_role("link", name="Enter the presenting need").press("Enter")
    expect(page.get_by_label("Presenting need")).to_be_focused()
    steps.assert_no_accessibility_violations(page, "outreach record with device errors (375 px)")
    steps.screenshot(page, "outreach-device-errors")
    steps.assert_no_csp_violations(console_errors)
