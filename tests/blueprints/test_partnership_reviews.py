"""Partnership review pages: recording a meeting with the partners present, its page with the figures it reviewed
and its actions (overdue ones tagged), the form errors, a double submit, a stale edit, and the printable minutes."""
import re

import pytest

from inclusive_access.domain import partnership_reviews
from inclusive_access.extensions import db
from inclusive_access.models import PartnershipReview, ReviewAction
from tests.blueprints.pages import cells, conflict, open_page, page_text, redirected, row_naming, shown_again
from tests.blueprints.records import count, events, stored_row
from tests.conftest import post_form
from tests.factories import staff
from tests.outreach_factories import planned_session, received
from tests.partnership_factories import HELD_ON, meeting_form, recorded_meeting


@pytest.fixture
def partner_id(app) -> int:
    """A housing partner whose hostel saw two people in June, committed."""
    with app.app_context():
        clinician = staff(db.session, "clinician")
        planned = planned_session(db.session, staff(db.session, "manager"), [clinician])
        for _ in range(2):
            received(db.session, clinician, planned)
        db.session.commit()
        return planned.venue.partner_id


@pytest.fixture
def meeting_id(app, partner_id) -> int:
    """A meeting with that partner, its one action due on the day of the meeting (long past), committed."""
    with app.app_context():
        manager = staff(db.session, "manager")
        meeting = recorded_meeting(db.session, manager, [partner_id])
        partnership_reviews.add_action(db.session, manager, meeting, {
            "description": "Find an indoor waiting space", "lead_name": "Priya Shah", "due_on": HELD_ON})
        db.session.commit()
        return meeting.id


@pytest.mark.parametrize("role", ["manager", "senior"])
def test_a_manager_or_senior_records_a_meeting_with_the_partners_present(app, client, login_as, partner_id, role):
    login_as(role)
    page = open_page(client, "/reports/partnership-reviews/new", "Record a partnership review meeting")
    assert f'name="partner_ids" type="checkbox" value="{partner_id}"' in page
    token = re.search(r'name="submission_token"[^>]*value="([^"]+)"', page).group(1)
    form = {**meeting_form(), "partner_ids": [str(partner_id)], "submission_token": token}
    response = post_form(client, "/reports/partnership-reviews/new", form)
    review_id = stored_row(app, PartnershipReview, 1).id
    page = redirected(client, response, f"/reports/partnership-reviews/{review_id}")
    assert "Meeting recorded." in page
    assert "Reviewed June's sessions.\nAgreed a second weekly session." in page
    assert "Harbour Housing Trust" in page
    assert "1 June 2026 to 30 June 2026" in page
    # two people seen, each once, no safeguarding concern, each with a follow-up: small counts shown as *
    assert cells(row_naming(page, "All partners present")) == [
        "Records received *", "People seen *", "Positive safeguarding screen 0", "Follow-up planned *"]
    again = post_form(client, "/reports/partnership-reviews/new", form)
    assert again.status_code == 303
    assert again.headers["Location"] == f"/reports/partnership-reviews/{review_id}"
    assert count(app, PartnershipReview) == 1
    assert len(events(app, "partnership_review.recorded")) == 1


def test_an_empty_meeting_is_shown_again_with_each_problem(client, login_as, partner_id):
    login_as("manager")
    response = post_form(client, "/reports/partnership-reviews/new", {})
    shown_again(response, "partner_ids", "Select the partners present")
    body = page_text(response)
    for message in ("Enter the meeting's title", "Enter the date of the meeting", "Enter the minutes",
                    "Enter the first day of the period reviewed"):
        assert message in body


def test_the_meeting_page_tags_an_overdue_action_and_adds_one_with_its_lead(app, client, login_as, meeting_id):
    login_as("senior")
    page = open_page(client, f"/reports/partnership-reviews/{meeting_id}")
    assert "Overdue" in page
    assert "Priya Shah" in page
    missing = post_form(client, f"/reports/partnership-reviews/{meeting_id}/actions",
                        {"description": "Share the session rota", "due_on": "2026-12-31"})
    shown_again(missing, "lead_name", "Enter the name of the lead")
    added = post_form(client, f"/reports/partnership-reviews/{meeting_id}/actions",
                      {"description": "Share the session rota", "lead_name": "Dr Ola Ade", "due_on": "2099-12-31"})
    assert added.status_code == 303
    page = open_page(client, f"/reports/partnership-reviews/{meeting_id}")
    assert "Dr Ola Ade" in page
    assert "31 Dec 2099" in page
    assert count(app, ReviewAction) == 2


def test_marking_an_action_done_clears_its_overdue_tag(app, client, login_as, meeting_id):
    login_as("manager")
    action = stored_row(app, ReviewAction, 1)
    response = post_form(client, f"/reports/partnership-reviews/actions/{action.id}/done",
                         {"version": str(action.version), "done_on": HELD_ON})
    page = redirected(client, response, f"/reports/partnership-reviews/{meeting_id}#actions")
    assert "Overdue" not in page
    assert "Done 14 Jul 2026" in page


def test_a_stale_edit_of_the_minutes_gets_the_conflict_page(app, client, login_as, meeting_id):
    login_as("manager")
    url = f"/reports/partnership-reviews/{meeting_id}/minutes"
    first = post_form(client, url, {"version": "1", "minutes": "Corrected minutes", "learning": ""})
    assert first.status_code == 303
    conflict(post_form(client, url, {"version": "1", "minutes": "Other minutes"}), "meeting")
    assert stored_row(app, PartnershipReview, meeting_id).minutes == "Corrected minutes"


def test_the_printable_minutes_carry_the_print_styles_and_no_forms(client, login_as, meeting_id):
    login_as("auditor")
    page = open_page(client, f"/reports/partnership-reviews/{meeting_id}/print", "Minutes: Quarterly outreach review")
    assert 'media="print" href="/static/print.css' in page
    assert "<form" not in page.split("<main", 1)[1], "the header's sign-out aside, nothing to post"
    assert "A complaint about waiting outside in the rain" in page
    assert "Find an indoor waiting space" in page


def test_minutes_are_escaped(app, client, login_as, partner_id):
    with app.app_context():
        meeting = recorded_meeting(db.session, staff(db.session, "manager"), [partner_id],
                                   minutes="<script>alert(1)</script>")
        db.session.commit()
        meeting_id = meeting.id
    login_as("auditor")
    body = client.get(f"/reports/partnership-reviews/{meeting_id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_the_list_is_newest_first(client, login_as, app, partner_id):
    with app.app_context():
        manager = staff(db.session, "manager")
        recorded_meeting(db.session, manager, [partner_id], title="Spring review", held_on="2026-04-14",
                         period_start="2026-01-01", period_end="2026-03-31")
        recorded_meeting(db.session, manager, [partner_id], title="Summer review")
        db.session.commit()
    login_as("auditor")
    page = open_page(client, "/reports/partnership-reviews", "Partnership review meetings")
    assert page.index("Summer review") < page.index("Spring review")
    assert "Record a meeting" not in page, "the auditor reads"
