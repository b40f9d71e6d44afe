"""Browser journey for reconciliation: a clinician named on an outreach session opens the list on a phone, picks the
top candidate for a record and links it; the patient's timeline shows the record."""
import re

import pytest
from playwright.sync_api import Page, expect

from inclusive_access.extensions import db
from tests.browser import steps

pytestmark = pytest.mark.browser


@pytest.fixture
def outreach_record(live_server) -> None:
    """A session naming the browser clinician, whose record of "Alex Smtih, about 40, LS1 4AP" waits to be
    reconciled; Alex Smith, born 1986 at that postcode, is on file with an open referral."""
    from inclusive_access.domain.actors import actor_for
    from inclusive_access.models import User
    from tests.factories import make_referral, staff
    from tests.outreach_factories import planned_session, received

    with live_server.app.app_context():
        clinician = actor_for(db.session.query(User).filter_by(username=live_server.clinician).one())
        planned = planned_session(db.session, staff(db.session, "manager"), [clinician])
        make_referral(db.session, given_name="Alex", family_name="Smith", date_of_birth="1986-03-14",
                      postcode="LS1 4AP", pathway="mental_health", reason="Low mood")
        received(db.session, clinician, planned, given_name="Alex", family_name="Smtih", approximate_age="40",
                 postcode="LS1 4AP")
        db.session.commit()


def test_a_clinician_links_a_record_to_the_top_candidate_and_the_timeline_shows_it(page: Page, live_server,
                                                                                    console_errors, outreach_record):
    page.set_viewport_size(steps.PHONE)
    steps.sign_in_as(page, live_server, live_server.clinician)
    steps.go_to(page, "Outreach records")
    expect(page.get_by_role("heading", name="Outreach records to reconcile", level=1)).to_be_visible()
    steps.assert_the_loaded_page_is_clean(page, "outreach-reconciliation-list", console_errors)

    page.get_by_role("link", name="Reconcile Alex SMTIH").click()
    expect(page.get_by_role("heading", name="Outreach record: Alex SMTIH", level=1)).to_be_visible()
    top = page.locator(".nhsuk-card").first
    expect(top.get_by_role("heading", name="Alex SMITH")).to_be_visible()
    expect(top.get_by_text("family name similar (95)")).to_be_visible()
    assert steps.page_width(page) <= steps.PHONE["width"]
    steps.assert_the_loaded_page_is_clean(page, "outreach-record-candidates", console_errors)

    steps.page_is_ready(page)
    top.get_by_role("button", name=re.compile("^Link to Community mental health")).click()
    expect(page.get_by_role("heading", name="Patient record", level=1)).to_be_visible()
    expect(page.get_by_text("Outreach record linked.")).to_be_visible()
    expect(page.get_by_text("Linked an outreach minimum record to this patient")).to_be_visible()
    steps.assert_the_loaded_page_is_clean(page, "outreach-record-on-the-timeline", console_errors)
