"""Outreach follow-up on the existing pages: lost contact after outreach waits on the senior review list with its
reason, and the safeguarding list counts positive screens not yet reconciled for the session's clinicians and
seniors, with the way to the reconciliation list."""
from datetime import UTC, datetime

from inclusive_access.domain import outreach_follow_up, outreach_reconciliation
from inclusive_access.domain.actors import actor_for
from inclusive_access.extensions import db
from inclusive_access.models import User
from tests.blueprints.pages import open_page, row_naming
from tests.factories import accepted, staff
from tests.outreach_factories import planned_session, received

RECONCILE_LINK = '<a href="/outreach/reconciliation">reconcile outreach records</a>'


def test_lost_contact_after_outreach_waits_on_the_senior_review_list(app, client, login_as):
    with app.app_context():
        clinician = staff(db.session, "clinician")
        record = received(db.session, clinician, planned_session(db.session, staff(db.session, "manager"),
                                                                 [clinician]))
        referral = accepted(db.session, clinician, given_name="Outreached")
        outreach_reconciliation.link(db.session, clinician, record, referral, record.version)
        outreach_follow_up.sweep(db.session, now=datetime(2026, 6, 10, 9, 0, tzinfo=UTC))
        db.session.commit()
    login_as("senior")
    row = row_naming(open_page(client, "/discharge/reviews", "Senior review"), "Outreached SAMPLETON")
    assert "Lost contact after outreach (follow-up due 9 Jun 2026)" in row


def test_the_safeguarding_list_counts_positive_screens_waiting_for_their_clinicians_and_seniors(
        app, client, login_as):
    named = login_as("clinician", "named.clinician")
    with app.app_context():
        clinician = actor_for(db.session.get(User, named))
        planned = planned_session(db.session, staff(db.session, "manager"), [clinician])
        received(db.session, clinician, planned, exploitation_risk="yes", safeguarding_detail="Cuckooing suspected")
        received(db.session, clinician, planned)
        db.session.commit()
    body = open_page(client, "/safeguarding/", "Open safeguarding concerns")
    assert "1 outreach record has a positive safeguarding screen and is not yet linked to a patient." in body
    assert RECONCILE_LINK in body
    login_as("clinician", "other.clinician")
    assert "outreach record" not in open_page(client, "/safeguarding/"), "not named on the session"
    login_as("senior")
    assert RECONCILE_LINK in open_page(client, "/safeguarding/")
