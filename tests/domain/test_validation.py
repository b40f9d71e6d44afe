"""Intake validation: NHS numbers, required fields, dates, lengths, control characters; formulas stored as typed."""
from datetime import UTC, datetime, timedelta

import nhs_number
import pytest
from sqlalchemy import select, update

from inclusive_access.domain import intake, validation
from inclusive_access.domain.actors import SYSTEM
from inclusive_access.domain.errors import InvalidInput
from inclusive_access.domain.validation import LONDON, FieldErrors
from inclusive_access.models import Pathway, Patient, Referral
from tests.factories import intake_row, make_referral, next_nhs_number
from tests.sqlite_alone import sqlite_database  # noqa: F401 - SQLite alone: input is checked before any SQL runs

VALID = [next_nhs_number() for _ in range(3)]
NUMBER_IDS = ["first", "second", "third"]  # generated numbers differ per run; test ids should not
TEN_MB = "x" * (10 * 1024 * 1024)


def spaced(number: str) -> str:
    """The display form, 999 999 9999."""
    return f"{number[:3]} {number[3:6]} {number[6:]}"


def wrong_check_digit(number: str) -> str:
    """The same number with a different last digit: the mod-11 check digit is unique, so it fails."""
    return number[:9] + str((int(number[9]) + 1) % 10)


def nhs_field(value) -> tuple[str | None, FieldErrors]:
    errors = FieldErrors()
    return validation.nhs_number_field(errors, {"nhs_number": value}), errors


def intake_errors(session, **overrides) -> dict[str, str]:
    """The field errors parse_intake reports for a valid row with these changes."""
    with pytest.raises(InvalidInput) as caught:
        intake.parse_intake(session, intake_row(**overrides))
    return caught.value.errors


# --- NHS number: the field rule on its own --------------------------------------------------------

def test_generated_numbers_are_valid():
    assert len(VALID) == 3
    assert all(nhs_number.is_valid(n) for n in VALID)


@pytest.mark.parametrize("number", VALID, ids=NUMBER_IDS)
def test_nhs_number_with_spaces_is_accepted_and_stored_without_them(number):
    value, errors = nhs_field(spaced(number))
    assert errors == {}
    assert value == number


@pytest.mark.parametrize("number", VALID, ids=NUMBER_IDS)
def test_nhs_number_without_spaces_and_with_padding_is_accepted(number):
    assert nhs_field(f"  {number} ") == (number, {})


@pytest.mark.parametrize("number", VALID, ids=NUMBER_IDS)
def test_nhs_number_with_wrong_check_digit_is_rejected(number):
    value, errors = nhs_field(spaced(wrong_check_digit(number)))
    assert value is None
    assert "check digit" in errors["nhs_number"]


@pytest.mark.parametrize("raw", [
    VALID[0][:9],                 # 9 digits
    spaced(VALID[0])[:-1],        # 9 digits, spaced
    VALID[0] + "1",               # 11 digits
    "999A000000",                 # a letter
    "ABC DEF GHIJ",               # letters only
    "999.000.0000",               # punctuation
], ids=["9-digits", "9-digits-spaced", "11-digits", "a-letter", "letters", "punctuation"])
def test_nhs_number_that_is_not_ten_digits_is_rejected(raw):
    value, errors = nhs_field(raw)
    assert value is None
    assert errors["nhs_number"] == "NHS number must be 10 digits"


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_empty_nhs_number_is_rejected(raw):
    value, errors = nhs_field(raw)
    assert value is None
    assert errors["nhs_number"] == "Enter the NHS number"


def test_known_invalid_number_whose_check_digit_would_be_ten():
    # 999 000 0000: weighted sum 243, remainder 1, check 10, so no valid check digit exists.
    value, errors = nhs_field("999 000 0000")
    assert value is None
    assert "nhs_number" in errors


# --- NHS number through parse_intake ----------------------------------------------------------

def test_valid_intake_parses(db_session):
    patient, referral = intake.parse_intake(db_session, intake_row(imd_decile="3", ethnic_category="99"))
    assert patient.imd_decile == 3
    assert patient.ethnic_category == "99"
    assert referral.pathway_code == "msk"
    assert referral.received_at.tzinfo is not None


@pytest.mark.parametrize("number", VALID, ids=NUMBER_IDS)
def test_parse_intake_accepts_spaced_nhs_number_and_stores_it_without_spaces(db_session, number):
    patient, referral = intake.parse_intake(db_session, intake_row(nhs_number=spaced(number)))
    assert patient.nhs_number == number
    intake.receive_referral(db_session, SYSTEM, patient, referral)
    db_session.commit()
    assert db_session.scalars(select(Patient.nhs_number)).all() == [number]


@pytest.mark.parametrize(("raw", "message"), [
    (spaced(wrong_check_digit(VALID[1])), "check digit"),
    (VALID[1][:9], "10 digits"),
    ("99900O0000", "10 digits"),
    ("", "Enter the NHS number"),
], ids=["check-digit", "9-digits", "letter-O", "empty"])
def test_parse_intake_rejects_bad_nhs_numbers(db_session, raw, message):
    errors = intake_errors(db_session, nhs_number=raw)
    assert message in errors["nhs_number"]


# --- Other field rules through parse_intake -----------------------------------------------------

def test_every_error_is_reported_at_once(db_session):
    errors = intake_errors(db_session, nhs_number="123", given_name="", ethnic_category="X", urgency="")
    assert {"nhs_number", "given_name", "ethnic_category", "urgency"} <= set(errors)


def test_future_date_of_birth_is_rejected(db_session):
    tomorrow = datetime.now(LONDON).date() + timedelta(days=1)
    errors = intake_errors(db_session, date_of_birth=tomorrow.isoformat())
    assert errors == {"date_of_birth": "The date of birth must be today or in the past"}


def test_date_of_birth_today_is_accepted(db_session):
    today = datetime.now(LONDON).date()
    patient, _ = intake.parse_intake(db_session, intake_row(date_of_birth=today.isoformat()))
    assert patient.date_of_birth == today


@pytest.mark.parametrize("raw", ["2001-02-30", "01/02/2001", "yesterday"])
def test_date_of_birth_that_is_not_a_real_date_is_rejected(db_session, raw):
    assert "real date" in intake_errors(db_session, date_of_birth=raw)["date_of_birth"]


@pytest.mark.parametrize("code", ["X", "a", "O", "98", "ZZ"])
def test_unknown_ethnic_code_is_rejected(db_session, code):
    errors = intake_errors(db_session, ethnic_category=code)
    assert set(errors) == {"ethnic_category"}
    assert "not a recognised code" in errors["ethnic_category"]


REQUIRED = [
    "nhs_number", "given_name", "family_name", "date_of_birth", "sex", "ethnic_category", "housing_status",
    "pathway", "referrer_name", "referrer_organisation", "referrer_contact", "received_at", "reason",
    "urgency",
]


@pytest.mark.parametrize("field", REQUIRED)
def test_each_required_field_empty_or_missing_is_rejected(db_session, field):
    for empty in ("", "   ", None):
        errors = intake_errors(db_session, **{field: empty})
        assert list(errors) == [field], empty
        assert errors[field].startswith(("Enter", "Select"))
    row = intake_row()
    del row[field]
    with pytest.raises(InvalidInput) as caught:
        intake.parse_intake(db_session, row)
    assert list(caught.value.errors) == [field]


@pytest.mark.parametrize("field", ["postcode", "imd_decile", "preferred_language", "interpreter_needed",
                                   "communication_needs", "learning_disability", "cognitive_impairment",
                                   "caring_responsibilities", "external_ref"])
def test_optional_fields_may_be_empty(db_session, field):
    overrides = {field: ""}
    if field == "imd_decile":
        overrides["imd_index"] = ""
    patient, referral = intake.parse_intake(db_session, intake_row(**overrides))
    assert patient is not None
    assert referral is not None


@pytest.mark.parametrize(("field", "limit"), [
    ("given_name", 100), ("family_name", 100), ("referrer_name", 120), ("referrer_organisation", 160),
    ("referrer_contact", 160), ("reason", 4000), ("preferred_language", 60), ("external_ref", 64),
])
def test_ten_megabyte_string_gets_a_clear_length_error(db_session, field, limit):
    errors = intake_errors(db_session, **{field: TEN_MB})
    assert list(errors) == [field]
    assert errors[field].endswith(f"must be {limit} characters or fewer")
    assert len(errors[field]) < 100  # the message does not echo the input


@pytest.mark.parametrize(("field", "limit"), [("given_name", 100), ("reason", 4000)])
def test_text_at_the_limit_is_accepted(db_session, field, limit):
    intake.parse_intake(db_session, intake_row(**{field: "a" * limit}))
    assert field in intake_errors(db_session, **{field: "a" * (limit + 1)})


FREE_TEXT = ["given_name", "family_name", "preferred_language", "referrer_name", "referrer_organisation",
             "referrer_contact", "reason", "external_ref"]


@pytest.mark.parametrize("value", ["- patient reports pain", "+2 kg", "+44 113 496 0000", "@SUM(A1)",
                                   '=HYPERLINK("http://x","y")', "-2+3+cmd|' /C calc'!A0"])
def test_text_starting_as_a_spreadsheet_formula_would_is_stored_as_typed(db_session, value):
    """Clinical text, not an attack: every CSV export defuses it instead (tests/test_csv_exports.py)."""
    referral = make_referral(db_session, **dict.fromkeys(FREE_TEXT, value))
    db_session.commit()
    db_session.expire_all()
    patient, row = db_session.get(Patient, referral.patient_id), db_session.get(Referral, referral.id)
    stored = {field: getattr(patient if hasattr(Patient, field) else row, field) for field in FREE_TEXT}
    assert stored == dict.fromkeys(FREE_TEXT, value)


def test_nul_byte_is_rejected_in_every_free_text_field(db_session):
    for field in FREE_TEXT:
        errors = intake_errors(db_session, **{field: "Te\x00sty"})
        assert list(errors) == [field]
        assert "characters that are not allowed" in errors[field]


def test_control_characters_rejected_in_names_but_newlines_allowed_in_reason(db_session):
    assert "given_name" in intake_errors(db_session, given_name="Testy\nSampleton")
    assert "reason" in intake_errors(db_session, reason="Knee\x07 pain")
    _patient, referral = intake.parse_intake(db_session, intake_row(reason="Knee pain\r\nfor two weeks"))
    assert referral.reason == "Knee pain\r\nfor two weeks"


def test_imd_decile_without_index_is_rejected(db_session):
    errors = intake_errors(db_session, imd_decile="3", imd_index="")
    assert list(errors) == ["imd_index"]


def test_imd_index_without_decile_is_dropped(db_session):
    patient, _ = intake.parse_intake(db_session, intake_row(imd_decile="", imd_index="IoD2019"))
    assert patient.imd_decile is None
    assert patient.imd_index is None


@pytest.mark.parametrize("decile", ["0", "11", "-1", "3.5", "three"])
def test_imd_decile_out_of_range_is_rejected(db_session, decile):
    assert "1 to 10" in intake_errors(db_session, imd_decile=decile)["imd_decile"]


def test_unknown_imd_index_is_rejected(db_session):
    assert "imd_index" in intake_errors(db_session, imd_index="IoD2015")


def test_received_at_in_the_future_is_rejected(db_session):
    later = (datetime.now(LONDON) + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")
    errors = intake_errors(db_session, received_at=later)
    assert errors == {"received_at": "The date and time received must be in the past"}


def test_received_at_is_london_wall_clock_returned_as_utc(db_session):
    now = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    _patient, referral = intake.parse_intake(db_session, intake_row(received_at="2026-07-01 09:30"), now=now)
    assert referral.received_at == datetime(2026, 7, 1, 8, 30, tzinfo=UTC)  # BST is UTC+1


@pytest.mark.parametrize(("field", "value"), [
    ("sex", "f"), ("housing_status", "homeless"), ("pathway", "dentistry"), ("urgency", "asap"),
    ("interpreter_needed", "maybe"), ("communication_needs", "semaphore"), ("postcode", "NOT A POSTCODE"),
])
def test_unrecognised_codes_are_rejected(db_session, field, value):
    assert list(intake_errors(db_session, **{field: value})) == [field]


def test_inactive_pathway_is_rejected(db_session):
    db_session.execute(update(Pathway).where(Pathway.code == "msk").values(active=False))
    assert "pathway" in intake_errors(db_session, pathway="msk")
