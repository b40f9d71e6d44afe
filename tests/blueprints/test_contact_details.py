"""The contact details page: the care team reads a patient's contact details from their record, the booking team and
clinicians change them (problems beside their fields, a stale form a conflict), and every view is logged."""
import pytest

from inclusive_access.domain import actions
from inclusive_access.extensions import db
from inclusive_access.models import ContactDetails
from tests.blueprints.pages import conflict, open_page, page_about, redirected, shown_again, version_in
from tests.blueprints.records import count, events, stored_row
from tests.conftest import ON_BOTH_DATABASES, post_form
from tests.factories import make_referral

VALID = {"mobile": "07700 900123", "email": "sam@example.com", "address_line_1": "Flat 2",
         "address_line_2": "1 Example Street", "carer_name": "", "version": "0"}


@pytest.fixture
def patient_id(app) -> int:
    with app.app_context():
        patient_id = make_referral(db.session).patient_id
        db.session.commit()
        return patient_id


def _urls(patient_id: int) -> tuple[str, str]:
    return f"/patients/{patient_id}/contact-details", f"/patients/{patient_id}/contact-details/edit"


def test_booking_staff_record_details_from_the_patients_record(app, client, login_as, patient_id):
    user_id = login_as("booking")
    show, edit = _urls(patient_id)
    assert f'href="{show}"' in open_page(client, f"/patients/{patient_id}")
    assert "No carer or advocate recorded." in page_about(client, show, "Testy SAMPLETON", "Contact details")
    form = page_about(client, edit, "Testy SAMPLETON", "Change contact details")
    assert version_in(form) == "0"
    assert "LS1 4AP" in form, "the patient's postcode, kept on their record, is shown"
    shown = redirected(client, post_form(client, edit, {**VALID, "mobile": "07700900123"}), show)
    assert "Contact details saved." in shown
    assert "07700 900123" in shown
    assert "Flat 2, 1 Example Street, LS1 4AP" in shown
    [event] = events(app, actions.PATIENT_CONTACT_DETAILS_RECORDED)
    assert (event.actor_id, event.patient_id) == (user_id, patient_id)
    assert version_in(open_page(client, edit)) == "1"


@pytest.mark.parametrize(("changed", "field", "message"), [
    ({"mobile": "0113 496 0000"}, "mobile", "Enter a UK mobile number, like 07700 900982"),
    ({"email": "sam at example.com"}, "email", "Enter the email address in the correct format"),
    ({"address_line_3": "A line of an address far too long to print"}, "address_line_3",
     "Line 3 of the address must be 35 characters or fewer"),
    ({"carer_mobile": "07700 900456"}, "carer_name", "Enter the carer's or advocate's name"),
])
@ON_BOTH_DATABASES
def test_problems_are_shown_beside_their_fields_and_nothing_is_saved(app, client, login_as, patient_id, changed,
                                                                     field, message):
    login_as("clinician")
    body = shown_again(post_form(client, _urls(patient_id)[1], {**VALID, **changed}), field, message)
    assert next(iter(changed.values())) in body, "what was typed is kept"
    assert count(app, ContactDetails) == 0


def test_a_form_opened_before_someone_else_saved_is_a_conflict(app, client, login_as, patient_id):
    login_as("booking")
    edit = _urls(patient_id)[1]
    post_form(client, edit, VALID)
    body = conflict(post_form(client, edit, {**VALID, "mobile": "07700 900999"}), "patient's contact details")
    assert "Testy SAMPLETON" in body
    with app.app_context():
        row_id = db.session.query(ContactDetails.id).scalar()
    assert stored_row(app, ContactDetails, row_id).mobile == "07700 900123"


def test_auditors_read_the_details_but_may_not_change_them(client, login_as, patient_id):
    login_as("auditor")
    show, edit = _urls(patient_id)
    assert "Change contact details" not in open_page(client, show, "Contact details")
    assert client.get(edit).status_code == 403


def test_managers_see_neither_the_details_nor_the_link(client, login_as, patient_id):
    login_as("manager")
    show, _edit = _urls(patient_id)
    assert show not in open_page(client, f"/patients/{patient_id}")
    assert client.get(show).status_code == 403


def test_each_view_of_the_details_is_logged(app, client, login_as, patient_id):
    login_as("auditor")
    before = len(events(app, actions.RECORD_VIEWED))
    open_page(client, _urls(patient_id)[0])
    assert len(events(app, actions.RECORD_VIEWED)) == before + 1
