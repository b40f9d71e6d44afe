"""The "Contact problems" worklist: booking staff see who a message could not reach, open the problem, and close it
saying what they did; the patient's timeline tells the message's outcome and the problem's."""
import pytest

from inclusive_access.extensions import db
from inclusive_access.models import ContactTask
from tests.blueprints.pages import open_page, page_about, redirected, row_naming, shown_again
from tests.blueprints.records import events, stored_row
from tests.conftest import post_form
from tests.status_factories import MOBILE, open_contact_task


@pytest.fixture
def task(app) -> dict:
    """An open contact problem: the patient's only mobile failed permanently."""
    with app.app_context():
        opened = open_contact_task(db.session)
        db.session.commit()
        return {"id": opened.id, "patient_id": opened.patient_id, "name": opened.patient.full_name}


@pytest.mark.parametrize("role", ["booking", "clinician", "senior"])
def test_booking_work_roles_find_the_problem_on_the_worklist_and_close_it(app, client, login_as, task, role):
    user_id = login_as(role)
    worklist = open_page(client, "/contact-problems/", "Contact problems")
    assert "Contact problems (1)" in worklist, "the navigation counts open problems"
    row = row_naming(worklist, task["name"])
    assert "Appointment reminder by text message" in row
    show = f"/contact-problems/{task['id']}"
    assert f'href="{show}"' in row
    page = page_about(client, show, task["name"], "Contact problem")
    assert MOBILE in page
    assert "no other way to reach them is recorded" in page
    response = post_form(client, f"{show}/close", {"note": "Called: new mobile recorded", "version": "1"})
    after = redirected(client, response, "/contact-problems/")
    assert "Contact problem closed." in after
    assert "0 open contact problems." in after
    closed = stored_row(app, ContactTask, task["id"])
    assert (closed.closed_by, closed.outcome_note) == (user_id, "Called: new mobile recorded")
    assert [e.actor_id for e in events(app, "contact_task.closed")] == [user_id]


@pytest.mark.parametrize("role", ["manager", "auditor"])
def test_managers_and_auditors_do_not_work_the_list(client, login_as, task, role):
    login_as(role)
    assert client.get("/contact-problems/").status_code == 403
    assert client.get(f"/contact-problems/{task['id']}").status_code == 403
    assert post_form(client, f"/contact-problems/{task['id']}/close", {"note": "x", "version": "1"}).status_code == 403
    assert "Contact problems (" not in open_page(client, "/referrals/list")


def test_closing_without_a_note_shows_the_form_again(app, client, login_as, task):
    login_as("booking")
    response = post_form(client, f"/contact-problems/{task['id']}/close", {"note": "  ", "version": "1"})
    shown_again(response, "note", "Say what you did: the details you updated, or the call you made")
    assert stored_row(app, ContactTask, task["id"]).closed_at is None


def test_closing_a_problem_someone_else_closed_says_so(app, client, login_as, task):
    login_as("booking")
    show = f"/contact-problems/{task['id']}"
    assert post_form(client, f"{show}/close", {"note": "Emailed instead", "version": "1"}).status_code == 303
    again = redirected(client, post_form(client, f"{show}/close", {"note": "Called", "version": "1"}), show)
    assert "This contact problem is already closed." in again
    assert "Closed by Test booking: Emailed instead" in again
    assert stored_row(app, ContactTask, task["id"]).outcome_note == "Emailed instead"


@pytest.mark.parametrize("role", ["booking", "manager"])
def test_the_patients_timeline_tells_the_failure_and_the_problem(client, login_as, task, role):
    login_as(role)
    page = open_page(client, f"/patients/{task['patient_id']}")
    assert "Appointment reminder by text message could not be delivered (permanent failure) — System" in page
    assert ("Opened a contact problem for booking staff: a message could not be delivered, and no other way to "
            "reach them is recorded") in page
