"""Each message about an appointment goes the way the booking script, the patient's needs and their contact details
say: every kind of message through every channel and format, or withheld with the reason staff need."""
from datetime import UTC, datetime

import pytest

from inclusive_access.domain import message_routes
from inclusive_access.domain.outbox import MessageSettings, Withheld
from inclusive_access.models import Patient
from tests.contact_factories import ADDRESS, CARER, EMAIL, MOBILE, cause, contacted
from tests.sqlite_alone import sqlite_database  # noqa: F401 - SQLite alone: a route is chosen from what was already read

KINDS = ("appointment_confirmation", "appointment_reminder", "rebooking_offer")
#: the patient's name as messages address them (tests/factories.intake_row's patient)
PATIENT = "Testy Sampleton"
LETTER = {"address_line_1": PATIENT, "address_line_2": "Flat 2", "address_line_3": "1 Example Street",
          "address_line_4": "Leeds", "address_line_5": "LS1 4AP"}
#: case -> (the script's contact method, keyword arguments of contacted(), what is expected: (channel, template,
#: addressed to, recipient) or the start of the reason it is withheld)
CASES = {
    "text message": ("text", {"mobile": MOBILE, "email": EMAIL}, ("sms", "sms", "patient", MOBILE)),
    "email": ("email", {"mobile": MOBILE, "email": EMAIL}, ("email", "email", "patient", EMAIL)),
    "letter": ("letter", {"mobile": MOBILE, "address_lines": ADDRESS}, ("letter", "letter", "patient", None)),
    "large print letter": ("letter", {"needs": "large_print", "address_lines": ADDRESS},
                           ("letter", "letter_large_print", "patient", None)),
    "easy read letter": ("letter", {"needs": "easy_read", "address_lines": ADDRESS},
                         ("letter", "letter_easy_read", "patient", None)),
    "easy read and large print: easy read": ("letter", {"needs": "easy_read;large_print", "address_lines": ADDRESS},
                                             ("letter", "letter_easy_read", "patient", None)),
    "telephone with a mobile: text": ("telephone", {"mobile": MOBILE, "address_lines": ADDRESS},
                                      ("sms", "sms", "patient", MOBILE)),
    "telephone without a mobile: letter": ("telephone", {"email": EMAIL, "address_lines": ADDRESS},
                                           ("letter", "letter", "patient", None)),
    "not asked: mobile first": ("", {"mobile": MOBILE, "email": EMAIL}, ("sms", "sms", "patient", MOBILE)),
    "not asked: email before address": ("", {"email": EMAIL, "address_lines": ADDRESS},
                                        ("email", "email", "patient", EMAIL)),
    "not asked: address last": ("", {"address_lines": ADDRESS}, ("letter", "letter", "patient", None)),
    "carer by text": ("carer", {"mobile": MOBILE, **CARER}, ("sms", "sms", "carer", CARER["carer_mobile"])),
    "carer by email": ("carer", {**CARER, "carer_mobile": None}, ("email", "email", "carer", CARER["carer_email"])),
    "carer by letter, standard print": ("carer", {"needs": "large_print", **CARER, "carer_mobile": None,
                                                  "carer_email": None}, ("letter", "letter", "carer", None)),
    "braille by text": ("text", {"needs": "braille", "mobile": MOBILE}, ("sms", "sms", "patient", MOBILE)),
    "braille letter": ("letter", {"needs": "braille", "address_lines": ADDRESS}, "The patient needs braille"),
    "not safe to leave a message": ("text", {"safe": False, "mobile": MOBILE}, "Not safe to leave a message"),
    "text without a mobile": ("text", {"email": EMAIL}, "The booking script says text message, but no mobile"),
    "email without an address": ("email", {"mobile": MOBILE}, "The booking script says email, but no email"),
    "letter without an address": ("letter", {"mobile": MOBILE}, "The booking script says letter, but no postal"),
    "carer not recorded": ("carer", {"mobile": MOBILE}, "No carer or advocate recorded"),
    "nothing recorded": ("", {}, "No mobile number, email address or postal address recorded"),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", CASES)
def test_each_message_goes_the_way_recorded_for_the_person(db_session, clinician, kind, case):
    method, recorded, expected = CASES[case]
    message = cause(db_session, clinician, contacted(db_session, clinician, method, **recorded), kind)
    if isinstance(expected, str):
        assert (message.status, message.channel, message.template) == ("withheld", None, None)
        assert message.withheld_reason.startswith(expected), message.withheld_reason
        return
    assert (message.status, (message.channel, message.template, message.addressed_to, message.recipient)) == (
        "queued", expected)
    fields = message.personalisation
    assert (fields["patient_name"], fields["interpreter_language"]) == (PATIENT, "")
    assert fields["name"] == (CARER["carer_name"] if message.addressed_to == "carer" else PATIENT)
    # SLOT: 09:00 UTC on Monday 8 June 2026, 10am in London
    assert (fields["appointment_date"], fields["appointment_time"], fields["appointment_format"]) == (
        "Monday 8 June 2026", "10am", "By telephone")
    if message.channel == "letter" and message.addressed_to == "patient":
        assert {k: v for k, v in fields.items() if k.startswith("address_line")} == LETTER
    elif message.channel == "letter":
        assert [fields[f"address_line_{n}"] for n in range(1, 5)] == ["Jo Carer", "3 Sample Road", "Leeds",
                                                                      "LS2 9JT"]
    else:
        assert not any(k.startswith("address_line") for k in fields)


@pytest.mark.parametrize("kind", KINDS)
def test_an_interpreters_language_is_named_on_the_message(db_session, clinician, kind):
    referral = contacted(db_session, clinician, "letter", language="Polish", address_lines=ADDRESS)
    assert cause(db_session, clinician, referral, kind).personalisation["interpreter_language"] == "Polish"


def test_without_a_script_answer_the_patients_record_names_the_interpreters_language(db_session, clinician):
    referral = contacted(db_session, clinician, "text", mobile=MOBILE)
    patient = db_session.get(Patient, referral.patient_id)
    patient.interpreter_needed, patient.preferred_language = True, "Somali"
    route = message_routes.route_for(db_session, patient, referral, MessageSettings())
    assert route.personalisation["interpreter_language"] == "Somali"


def test_someone_with_an_advocate_and_no_script_answer_is_reached_through_the_advocate(db_session, clinician):
    referral = contacted(db_session, clinician, "", needs="advocate", mobile=MOBILE, **CARER)
    route = message_routes.route_for(db_session, db_session.get(Patient, referral.patient_id), referral,
                                     MessageSettings(service_phone="0113 496 0000"))
    assert (route.addressed_to, route.recipient, route.personalisation["name"]) == (
        "carer", CARER["carer_mobile"], "Jo Carer")
    assert route.personalisation["service_phone"] == "0113 496 0000"


def test_a_message_not_safe_to_leave_for_a_carer_is_withheld_as_the_carers(db_session, clinician):
    referral = contacted(db_session, clinician, "carer", safe=False, **CARER)
    route = message_routes.route_for(db_session, db_session.get(Patient, referral.patient_id), referral,
                                     MessageSettings())
    assert route == Withheld(message_routes.NOT_SAFE, "carer")


@pytest.mark.parametrize(("moment", "day", "time"), [
    (datetime(2026, 12, 8, 14, 30, tzinfo=UTC), "Tuesday 8 December 2026", "2:30pm"),
    (datetime(2026, 6, 30, 23, 5, tzinfo=UTC), "Wednesday 1 July 2026", "12:05am"),
    (datetime(2026, 6, 1, 11, 0, tzinfo=UTC), "Monday 1 June 2026", "12pm"),
])
def test_times_are_written_as_london_reads_them(moment, day, time):
    assert (message_routes.london_date(moment), message_routes.london_time(moment)) == (day, time)
