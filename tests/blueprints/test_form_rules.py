"""Each form's field rules, checked once on the form alone: posted into a bare request, no app, no database. The
route tests show, once per form, that these messages reach the page beside their fields and that nothing is saved."""
import io
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from inclusive_access.blueprints.adjustments.forms import EditAdjustmentForm, NewAdjustmentForm
from inclusive_access.blueprints.admin.forms import NewUserForm
from inclusive_access.blueprints.appointments.forms import BookingForm, OutcomeForm, deliveries_from
from inclusive_access.blueprints.audit.forms import SampleForm
from inclusive_access.blueprints.clarification.forms import AttemptForm, CloseForm
from inclusive_access.blueprints.discharge.forms import DischargeRequestForm, ReviewDecisionForm
from inclusive_access.blueprints.dna import forms as dna_forms
from inclusive_access.blueprints.forms_common import first_errors
from inclusive_access.blueprints.imports.forms import ConfirmForm, UploadForm
from inclusive_access.blueprints.intake.forms import IntakeForm, ReReferralForm
from inclusive_access.blueprints.reports.forms import PlanForm
from inclusive_access.blueprints.safeguarding import forms as safeguarding_forms
from inclusive_access.blueprints.urgent_contacts.forms import UrgentContactForm
from inclusive_access.domain import intake
from inclusive_access.domain import validation as v
from tests.blueprints.test_admin import NEW_USER
from tests.blueprints.test_audit import SAMPLE_FORM
from tests.blueprints.test_governance import _current_plan
from tests.factories import intake_form, intake_row, next_nhs_number

#: the pathways an intake may name (the migrations seed them; no database here)
PATHWAYS = (intake_row()["pathway"], "frailty")
NEXT_YEAR = str(datetime.now(UTC).year + 1)
TEN_MB = "x" * (10 * 1024 * 1024)


@pytest.fixture(scope="module")
def bare_app() -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="form rules", WTF_CSRF_ENABLED=False)
    return app


def posted(app: Flask, form_class, data: dict):
    """`form_class` as the route builds it from `data` posted as a browser posts it (a file as its content and
    name), validated."""
    files = {name: (io.BytesIO(value[0]), value[1]) for name, value in data.items() if isinstance(value, tuple)}
    with app.test_request_context(method="POST", data={**data, **files}):
        form = form_class()
        form.validate()
        return form


# -- intake: the form's strings, read by the rules domain.intake shares with the CSV import ---------------------

def intake_errors(app: Flask, **overrides) -> dict[str, str]:
    """field -> message for an intake form posted with `overrides` of a valid one, by the intake's rules."""
    raw = posted(app, IntakeForm, intake_form(**overrides)).raw()
    errors, now = v.FieldErrors(), datetime.now(UTC)
    intake.parse_patient(raw, errors, now.astimezone(v.LONDON).date())
    intake.parse_referral(raw, errors, now, dict.fromkeys(PATHWAYS, ""))
    return dict(errors)


def _bad_nhs_number() -> str:
    good = next_nhs_number()
    return good[:9] + str((int(good[9]) + 1) % 10)  # the wrong check digit


#: case -> (overrides of a valid intake, field, message)
BAD_INTAKE = {
    "invalid NHS number": (lambda: {"nhs_number": _bad_nhs_number()}, "nhs_number",
                           "Enter a valid NHS number (the check digit does not match)"),
    "short NHS number": (lambda: {"nhs_number": "12345"}, "nhs_number", "NHS number must be 10 digits"),
    "future date of birth": (lambda: {"dob_year": NEXT_YEAR}, "date_of_birth",
                             "The date of birth must be today or in the past"),
    "impossible date of birth": (lambda: {"dob_day": "31", "dob_month": "2"}, "date_of_birth",
                                 "The date of birth must be a real date"),
    "unknown ethnic code": (lambda: {"ethnic_category": "X"}, "ethnic_category",
                            "The ethnic category 'X' is not a recognised code"),
    "empty given name": (lambda: {"given_name": "  "}, "given_name", "Enter the given name"),
    "empty pathway": (lambda: {"pathway": ""}, "pathway", "Select the pathway"),
    "empty reason": (lambda: {"reason": ""}, "reason", "Enter the reason for referral"),
    "empty date of birth": (lambda: {"dob_day": "", "dob_month": "", "dob_year": ""}, "date_of_birth",
                            "Enter the date of birth"),
    "10 MB reason": (lambda: {"reason": TEN_MB}, "reason", "The reason for referral must be 4000 characters or fewer"),
    "NUL byte in a name": (lambda: {"family_name": "Smith\x00"}, "family_name",
                           "The family name contains characters that are not allowed"),
    "unknown communication need": (lambda: {"communication_needs": ["telepathy"]}, "communication_needs",
                                   "Unknown communication need 'telepathy'"),
    "odd digits in IMD decile": (lambda: {"imd_decile": "\u00b2"}, "imd_decile",
                                 "IMD decile must be a whole number from 1 to 10"),
    "future receipt": (lambda: {"received_at": f"{NEXT_YEAR}-01-01T09:00"}, "received_at",
                       "The date and time received must be in the past"),
}


# -- a re-referral: the referral half of an intake, by the same rules ------------------------------------------

def re_referral_errors(app: Flask, **overrides) -> dict[str, str]:
    """field -> message for a re-referral posted with `overrides` of a valid intake's referral fields."""
    errors = v.FieldErrors()
    intake.parse_referral(posted(app, ReReferralForm, intake_form(**overrides)).raw(), errors, datetime.now(UTC),
                          dict.fromkeys(PATHWAYS, ""))
    return dict(errors)


def _tomorrow() -> str:
    return (datetime.now(UTC) + timedelta(days=1)).astimezone(v.LONDON).strftime("%Y-%m-%dT%H:%M")


#: case -> (overrides of a valid re-referral, field, message); the route's test shows an empty one
BAD_RE_REFERRAL = {
    "impossible receipt": (lambda: {"received_at": "2026-13-40T25:00"}, "received_at",
                           "The date and time received must be a real date and time"),
    "receipt tomorrow": (lambda: {"received_at": _tomorrow()}, "received_at",
                         "The date and time received must be in the past"),
    "unknown pathway": (lambda: {"pathway": "astrology"}, "pathway",
                        "The pathway 'astrology' is not a recognised code"),
    "NUL byte in the reason": (lambda: {"reason": "Knee\x00pain"}, "reason",
                               "The reason for referral contains characters that are not allowed"),
}
#: form -> (its errors when posted with overrides of a valid one, case -> (overrides, field, message))
PARSED_FORMS = {"intake": (intake_errors, BAD_INTAKE), "re-referral": (re_referral_errors, BAD_RE_REFERRAL)}


@pytest.mark.parametrize("form", PARSED_FORMS)
def test_a_valid_intake_or_re_referral_has_no_errors(bare_app, form):
    errors, _bad = PARSED_FORMS[form]
    assert errors(bare_app) == {}


@pytest.mark.parametrize(("form", "case"), [(form, case) for form, (_errors, bad) in PARSED_FORMS.items()
                                            for case in bad])
def test_a_bad_intake_or_re_referral_field_gets_its_message(bare_app, form, case):
    errors, bad = PARSED_FORMS[form]
    overrides, field, message = bad[case]
    assert errors(bare_app, **overrides()) == {field: message}


# -- booking: what the form itself refuses (the rules that need the referral are the route's tests) -------------

#: a valid booking as the page posts it
BOOKING = {"starts_at": "2030-01-07T18:00", "format": "telephone", "place": "", "duration_minutes": "30", "notes": "",
           "submission_token": "booking-1", "version": "3"}


#: case -> (overrides of a valid booking, field, message)
BAD_BOOKING = {
    "no date": ({"starts_at": ""}, "starts_at", "Enter the date and time"),
    "no format": ({"format": None}, "format", "Select the format"),
    "unknown format": ({"format": "evening"}, "format", "Not a valid choice."),
    "too long": ({"duration_minutes": "999"}, "duration_minutes", "Use 5 to 240 minutes"),
    "not a number of minutes": ({"duration_minutes": "an hour"}, "duration_minutes", "Not a valid integer value."),
    "10 MB notes": ({"notes": TEN_MB}, "notes", "Use 2000 characters or fewer"),
    "NUL byte in the place": ({"format": "clinic", "place": "Room\x001"}, "place", "Remove the special characters"),
    "NUL byte in the notes": ({"notes": "a\x00b"}, "notes", "Remove the special characters"),
    "tampered token": ({"submission_token": "bad\x00token"}, "submission_token", "Invalid input."),
    "version not a number": ({"version": "two"}, "version", "Not a valid integer value."),
    "no version": ({"version": ""}, "version", "This field is required."),
}


# -- an appointment's outcome ----------------------------------------------------------------------------------

OUTCOME = {"outcome": "attended", "version": "1"}
#: case -> (changes to a valid outcome, field, message)
BAD_OUTCOME = {
    "no outcome": ({"outcome": None}, "outcome", "Select what happened"),
    "unknown outcome": ({"outcome": "vanished"}, "outcome", "Not a valid choice."),
    "NUL byte in the reason": ({"outcome": "cancelled_patient", "reason": "Ill\x00"}, "reason",
                               "Remove the special characters"),
    "10 MB reason": ({"outcome": "cancelled_patient", "reason": TEN_MB}, "reason", "Use 500 characters or fewer"),
    "version not a number": ({"version": "one"}, "version", "Not a valid integer value."),
}


# -- a reasonable adjustment -----------------------------------------------------------------------------------

#: a valid adjustment as the register's form posts it
ADJUSTMENT = {"category": "timing", "description": "Evening appointments after 5pm", "impairment": "",
              "consent_basis": "patient", "source": "patient_request", "applies_to_appointments": "y",
              "review_date": ""}


#: case -> (overrides of a valid adjustment, field, message)
BAD_ADJUSTMENT = {
    "no category": ({"category": None}, "category", "Select the kind of adjustment"),
    "unknown category": ({"category": "telepathy"}, "category", "Not a valid choice."),
    "no description": ({"description": ""}, "description", "Describe the adjustment"),
    "no consent basis": ({"consent_basis": None}, "consent_basis", "Select the basis for recording it"),
    "unknown consent basis": ({"consent_basis": "vibes"}, "consent_basis", "Not a valid choice."),
    "unknown source": ({"source": "gossip"}, "source", "Not a valid choice."),
    "review date not a date": ({"review_date": "2026-02-30"}, "review_date", "Not a valid date value."),
    "NUL byte in the description": ({"description": "Quiet\x00room"}, "description", "Remove the special characters"),
    "10 MB description": ({"description": TEN_MB}, "description", "Use 2000 characters or fewer"),
    "impairment too long": ({"impairment": "y" * 201}, "impairment", "Use 200 characters or fewer"),
}


# -- a barrier check after a missed appointment ----------------------------------------------------------------

#: the form each section of the barrier check posts
DNA_SECTIONS = {"barriers": dna_forms.BarriersForm, "attempts": dna_forms.AttemptForm,
                "complete": dna_forms.OutcomeForm}
#: case -> (section, form data, field, message)
BAD_BARRIER_CHECK = {
    "unknown barrier": ("barriers", {"barriers": ["childcare", "bad_luck"], "version": "1"}, "barriers",
                        "'bad_luck' is not a valid choice for this field."),
    "NUL byte in the other barrier": ("barriers", {"barriers": ["other"], "other_barrier": "Dog\x00", "version": "1"},
                                      "other_barrier", "Remove the special characters"),
    "10 MB other barrier": ("barriers", {"barriers": ["other"], "other_barrier": TEN_MB, "version": "1"},
                            "other_barrier", "Use 500 characters or fewer"),
    "unknown safeguarding answer": ("barriers", {"barriers": [], "safeguarding": "shrug", "version": "1"},
                                    "safeguarding", "Not a valid choice."),
    "barriers without a version": ("barriers", {"barriers": ["work"]}, "version", "This field is required."),
    "no method": ("attempts", {"reached": "no"}, "method", "Select how you tried to reach the patient"),
    "unknown method": ("attempts", {"method": "pigeon", "reached": "no"}, "method", "Not a valid choice."),
    "reached not answered": ("attempts", {"method": "letter"}, "reached", "Select whether you reached them"),
    "NUL byte in the note": ("attempts", {"method": "letter", "reached": "no", "note": "Sent\x00"}, "note",
                             "Remove the special characters"),
    "10 MB note": ("attempts", {"method": "letter", "reached": "no", "note": TEN_MB}, "note",
                   "Use 2000 characters or fewer"),
    "no outcome": ("complete", {"version": "1"}, "outcome", "Select the outcome"),
    "unknown outcome": ("complete", {"outcome": "discharged", "version": "1"}, "outcome", "Not a valid choice."),
    "unknown alternative": ("complete", {"outcome": "alternative_offered", "alternative_format": "by_owl",
                                         "version": "1"}, "alternative_format", "Not a valid choice."),
    "unknown adjustment kind": ("complete", {"outcome": "rebooked", "adjustment_category": "magic",
                                             "adjustment_description": "Wand", "version": "1"},
                                "adjustment_category", "Not a valid choice."),
    "NUL byte in the adjustment": ("complete", {"outcome": "rebooked", "adjustment_category": "timing",
                                                "adjustment_description": "Eve\x00nings", "version": "1"},
                                   "adjustment_description", "Remove the special characters"),
    "10 MB adjustment": ("complete", {"outcome": "rebooked", "adjustment_category": "timing",
                                      "adjustment_description": TEN_MB, "version": "1"},
                         "adjustment_description", "Use 2000 characters or fewer"),
    "version not a number": ("complete", {"outcome": "rebooked", "version": "one"}, "version",
                             "Not a valid integer value."),
}


# -- a discharge request and the senior's decision -------------------------------------------------------------

#: a discharge request as its page posts it
DISCHARGE_REQUEST = {"reason": "treatment_complete", "reason_text": "Goals met and agreed with the patient",
                     "version": "1", "submission_token": "request-1"}
#: case -> (changes to a valid request, None: the field left out; field, message)
BAD_DISCHARGE_REQUEST = {
    "no reason": ({"reason": None}, "reason", "Select the reason for discharge"),
    "unknown reason": ({"reason": "bored"}, "reason", "Not a valid choice."),
    "no explanation": ({"reason_text": ""}, "reason_text", "Explain why the referral should be discharged"),
    "10 MB explanation": ({"reason_text": TEN_MB}, "reason_text", "Use 4000 characters or fewer"),
    "NUL byte": ({"reason_text": "Goals\x00met"}, "reason_text", "Remove the special characters"),
    "version not a number": ({"version": "three"}, "version", "Not a valid integer value."),
    "no version": ({"version": None}, "version", "This field is required."),
}
#: a decision as the review page posts it
DECISION = {"decision": "approved", "rationale": "Discussed with the patient", "plan": "", "concern_category": "",
            "concern_text": "", "version": "1"}
#: case -> (changes to the decision, field, message)
BAD_DECISION = {
    "no decision": ({"decision": None}, "decision", "Select the decision"),
    "unknown decision": ({"decision": "discharge_now"}, "decision", "Not a valid choice."),
    "no rationale": ({"decision": "approved", "rationale": ""}, "rationale", "Record the rationale for the decision"),
    "safeguarding with an unknown kind": ({"decision": "safeguarding", "concern_category": "gossip",
                                           "concern_text": "Not seen"}, "concern_category", "Not a valid choice."),
    "10 MB rationale": ({"decision": "approved", "rationale": TEN_MB}, "rationale", "Use 4000 characters or fewer"),
    "NUL byte in the plan": ({"decision": "continue", "plan": "See\x00again"}, "plan",
                             "Remove the special characters"),
    "version not a number": ({"decision": "approved", "version": "x"}, "version", "Not a valid integer value."),
}


# -- a safeguarding concern and its route ----------------------------------------------------------------------

CONCERN = {"submission_token": "concern-1", "category": "exploitation_risk",
           "concern": "Older man collects her benefits each week", "followed_delay": "not_known"}
#: case -> (changes to a valid concern, None: the field left out; field, message)
BAD_CONCERN = {
    "no kind": ({"category": ""}, "category", "Select the kind of concern"),
    "kind missing": ({"category": None}, "category", "Select the kind of concern"),
    "unknown kind": ({"category": "gossip"}, "category", "Not a valid choice."),
    "no concern": ({"concern": ""}, "concern", "Describe the concern"),
    "NUL byte": ({"concern": "Bruis\x00ing"}, "concern", "Remove the special characters"),
    "10 MB concern": ({"concern": TEN_MB}, "concern", "Use 4000 characters or fewer"),
    "no delay answer": ({"followed_delay": None}, "followed_delay",
                        "Select whether it followed a delay on the pathway"),
    "unknown delay answer": ({"followed_delay": "maybe"}, "followed_delay", "Not a valid choice."),
    "long delay": ({"followed_delay": "yes", "delay_detail": "d" * 1001}, "delay_detail",
                   "Use 1000 characters or fewer"),
}
ROUTE = {"routed_to": "Leeds adult MASH", "routed_on": "2026-01-05", "reference": "MASH-2231", "version": "1"}
#: case -> (changes to a valid route, field, message)
BAD_ROUTE = {
    "no one": ({"routed_to": ""}, "routed_to", "Enter whom the concern was referred to"),
    "no date": ({"routed_on": ""}, "routed_on", "Enter the date it was referred"),
    "not a date": ({"routed_on": "31/02/2026"}, "routed_on", "Not a valid date value."),
    "impossible date": ({"routed_on": "2026-02-30"}, "routed_on", "Not a valid date value."),
    "NUL byte": ({"routed_to": "MA\x00SH"}, "routed_to", "Remove the special characters"),
    "long reference": ({"reference": "R" * 81}, "reference", "Use 80 characters or fewer"),
    "version not a number": ({"version": "one"}, "version", "Not a valid integer value."),
}


#: an action on a concern, as its page posts it
SAFEGUARDING_ACTION = {"action": "Phoned the GP practice", "submission_token": "action-1"}
#: case -> (changes to a valid action, field, message)
BAD_SAFEGUARDING_ACTION = {
    "no action": ({"action": ""}, "action", "Describe the action taken"),
    "NUL byte": ({"action": "Called\x00"}, "action", "Remove the special characters"),
    "10 MB action": ({"action": TEN_MB}, "action", "Use 4000 characters or fewer"),
}
#: a senior's closure of a concern, as its page posts it
CLOSURE = {"outcome": "MASH: no further action; GP to monitor", "summary": "Heating repaired, family visiting daily",
           "version": "1"}
#: case -> (changes to a valid closure, field, message)
BAD_CLOSURE = {
    "no outcome": ({"outcome": ""}, "outcome", "Record the outcome of the safeguarding route"),
    "no summary": ({"summary": ""}, "summary", "Write the closing summary"),
    "NUL byte in the summary": ({"summary": "Sum\x00mary"}, "summary", "Remove the special characters"),
    "version not a number": ({"version": "x"}, "version", "Not a valid integer value."),
}


# -- a crisis or urgent contact --------------------------------------------------------------------------------

URGENT_CONTACT = {"submission_token": "urgent-1", "kind": "ed_attendance", "occurred_on": "2026-01-05",
                  "source": "ed_discharge_summary", "followed_delay": "yes",
                  "delay_detail": "Twelve weeks on the waiting list without a review"}
#: case -> (changes to a valid urgent contact, None: the field left out; field, message)
BAD_URGENT_CONTACT = {
    "no kind": ({"kind": ""}, "kind", "Select the kind of urgent contact"),
    "unknown kind": ({"kind": "walk_in_centre"}, "kind", "Not a valid choice."),
    "no date": ({"occurred_on": ""}, "occurred_on", "Enter the date it happened"),
    "impossible date": ({"occurred_on": "2026-02-30"}, "occurred_on", "Not a valid date value."),
    "no source": ({"source": None}, "source", "Select who told us"),
    "unknown source": ({"source": "rumour"}, "source", "Not a valid choice."),
    "no delay answer": ({"followed_delay": None}, "followed_delay",
                        "Select whether it followed a delay on the pathway"),
    "NUL byte in the delay": ({"delay_detail": "Wait\x00ed"}, "delay_detail", "Remove the special characters"),
    "10 MB delay": ({"delay_detail": TEN_MB}, "delay_detail", "Use 1000 characters or fewer"),
    "bad token": ({"submission_token": "not a token!"}, "submission_token", "Invalid input."),
}


# -- a clarification: an attempt to reach the referrer, and closing it -----------------------------------------

#: case -> (form class, the form posted, field, message)
BAD_CLARIFICATION = {
    "attempt without a method": (AttemptForm, {"reached": "no"}, "method", "Select how you tried to contact them"),
    "attempt not saying if reached": (AttemptForm, {"method": "telephone"}, "reached",
                                      "Select whether you reached them"),
    "unknown method": (AttemptForm, {"method": "fax", "reached": "no"}, "method", "Not a valid choice."),
    "reached neither yes nor no": (AttemptForm, {"method": "email", "reached": "maybe"}, "reached",
                                   "Not a valid choice."),
    "10 MB note": (AttemptForm, {"method": "email", "reached": "no", "note": TEN_MB}, "note",
                   "Use 2000 characters or fewer"),
    "NUL byte in the note": (AttemptForm, {"method": "email", "reached": "no", "note": "Bounced\x00"}, "note",
                             "Remove the special characters"),
    "10 MB answer": (CloseForm, {"response": TEN_MB, "version": "1"}, "response", "Use 4000 characters or fewer"),
    "NUL byte in the reason": (CloseForm, {"close_reason": "Withdrawn\x00", "version": "1"}, "close_reason",
                               "Remove the special characters"),
    "version not a number": (CloseForm, {"response": "Left knee", "version": "x"}, "version",
                             "Not a valid integer value."),
}


# -- an audit sample, and a governance item's plan -------------------------------------------------------------

#: case -> (changes to a valid sample's form, field, message)
BAD_SAMPLE = {
    "no-record-type": ({"record_type": ""}, "record_type", "Select the kind of record to sample"),
    "no-first-month": ({"first_month": ""}, "first_month", "Enter the month as YYYY-MM"),
    "month-13": ({"first_month": "2026-13"}, "first_month", "Enter the month as YYYY-MM"),
    "words-for-month": ({"last_month": "June"}, "last_month", "Enter the month as YYYY-MM"),
    "no-size": ({"size": ""}, "size", "Enter a sample size from 1 to 500"),
    "size-0": ({"size": "0"}, "size", "Enter a sample size from 1 to 500"),
    "size-501": ({"size": "501"}, "size", "Enter a sample size from 1 to 500"),
    "no-seed": ({"seed": ""}, "seed", "Enter a seed from 0 to 2,147,483,646"),
    "negative-seed": ({"seed": "-1"}, "seed", "Enter a seed from 0 to 2,147,483,646"),
    "seed-too-large": ({"seed": "2147483647"}, "seed", "Enter a seed from 0 to 2,147,483,646"),
    "control-character": ({"segment": "imd_quintile", "segment_value": "1\x07"}, "segment_value",
                          "Remove the special characters"),
    "long-segment-value": ({"segment": "imd_quintile", "segment_value": "x" * 41}, "segment_value",
                           "Use 40 characters or fewer"),
}
#: case -> (changes to a valid plan, field, message)
BAD_PLAN = {
    "blank-explanation": ({"variance_explanation": ""}, "variance_explanation", "Explain the variance"),
    "control-character": ({"variance_explanation": "Bell \x07 character"}, "variance_explanation",
                          "Remove the special characters"),
    "blank-action": ({"corrective_action": ""}, "corrective_action", "Describe the corrective action"),
    "long-action": ({"corrective_action": "x" * 4001}, "corrective_action", "Use 4000 characters or fewer"),
    "blank-lead": ({"lead_name": ""}, "lead_name", "Name the lead for the action"),
    "long-lead": ({"lead_name": "x" * 121}, "lead_name", "Use 120 characters or fewer"),
    "no-due-date": ({"due_date": ""}, "due_date", "Enter the date the action is due"),
    "unreadable-due-date": ({"due_date": "31/12/2030"}, "due_date", "Not a valid date value."),
    "blank-month": ({"remeasure_month": ""}, "remeasure_month", "Enter the month to re-measure as YYYY-MM"),
    "month-13": ({"remeasure_month": "2026-13"}, "remeasure_month", "Enter a month as YYYY-MM"),
}


# -- a referrals CSV to import, and how to import it -----------------------------------------------------------

#: a file as the upload posts it: (content, name)
UPLOAD = {"file": (b"nhs_number\n9434765919\n", "march.csv")}
#: case -> (changes to a valid upload, None: no file; field, message); the route's test shows a file over 5 MB
BAD_UPLOAD = {
    "no file": ({"file": None}, "file", "Select a CSV file"),
    "not a CSV": ({"file": (b"nhs_number\n9434765919\n", "march.txt")}, "file", "The selected file must be a CSV"),
}
#: case -> (changes to a valid choice, None: left out; field, message)
BAD_IMPORT_MODE = {
    "no mode": ({"mode": None}, "mode", "Choose how to import"),
    "unknown mode": ({"mode": "some_rows"}, "mode", "Not a valid choice."),
}


# -- whether each adjustment was met, asked with an appointment's outcome --------------------------------------

#: case -> (answers posted about adjustments 1 and 2, the answers read: id -> (met, reason), the errors)
DELIVERIES = {
    "neither answered": ({}, {}, {}),
    "met, and not met with its reason": ({"met_1": "yes", "met_2": "no", "met_reason_2": "  Carer ill  "},
                                         {1: (True, None), 2: (False, "Carer ill")}, {}),
    "not met, its reason only spaces": ({"met_1": "yes", "met_2": "no", "met_reason_2": " "},
                                        {1: (True, None), 2: (False, None)}, {}),
    "an answer that is neither": ({"met_1": "maybe", "met_2": "yes"}, {2: (True, None)}, {}),
    "NUL byte in a reason": ({"met_1": "yes", "met_2": "no", "met_reason_2": "Ill\x00"}, {1: (True, None)},
                             {"met_reason_2": "Shorten the reason and remove special characters"}),
    "10 MB reason": ({"met_1": "yes", "met_2": "no", "met_reason_2": TEN_MB}, {1: (True, None)},
                     {"met_reason_2": "Shorten the reason and remove special characters"}),
}


@pytest.mark.parametrize("case", DELIVERIES)
def test_the_answers_about_adjustments_are_read_or_refused(case):
    """Only "yes" and "no" answer; which adjustments are left unanswered is the domain's to say."""
    posted_answers, answers, errors = DELIVERIES[case]
    assert deliveries_from(posted_answers, [1, 2]) == (answers, errors)


# -- a new user --------------------------------------------------------------------------------------------------

#: case -> (changes to a valid new user, field, message)
BAD_NEW_USER = {
    "short password": ({"password": "short"}, "password", "Use 12 to 256 characters"),
    "username with a space and a bang": ({"username": "Bad User!"}, "username",
                                         "Use lower-case letters, numbers, dots, dashes or underscores"),
    "no username": ({"username": ""}, "username", "Enter a username"),
    "no name": ({"display_name": ""}, "display_name", "Enter the person's name"),
    "NUL byte in the name": ({"display_name": "Null\x00Byte"}, "display_name",
                             "Remove the special characters from the name"),
    "unknown role": ({"role": "superuser"}, "role", "Not a valid choice."),
}


# -- every form above, checked alike ---------------------------------------------------------------------------

#: form -> (form class, a valid post, case -> (changes to it, None: the field left out; field, message))
FORMS = {
    "booking": (BookingForm, BOOKING, BAD_BOOKING),
    "appointment outcome": (OutcomeForm, OUTCOME, BAD_OUTCOME),
    "new adjustment": (NewAdjustmentForm, ADJUSTMENT, BAD_ADJUSTMENT),
    "adjustment edit": (EditAdjustmentForm, {**ADJUSTMENT, "version": "1"},
                        {"version not a number": ({"version": "one"}, "version", "Not a valid integer value.")}),
    **{f"barrier check {section}": (form_class, {}, {case: (data, field, message) for case, (in_section, data,
                                                     field, message) in BAD_BARRIER_CHECK.items()
                                                     if in_section == section})
       for section, form_class in DNA_SECTIONS.items()},
    "discharge request": (DischargeRequestForm, DISCHARGE_REQUEST, BAD_DISCHARGE_REQUEST),
    "review decision": (ReviewDecisionForm, DECISION, BAD_DECISION),
    "safeguarding concern": (safeguarding_forms.ConcernForm, CONCERN, BAD_CONCERN),
    "safeguarding route": (safeguarding_forms.RouteForm, ROUTE, BAD_ROUTE),
    "safeguarding action": (safeguarding_forms.ActionForm, SAFEGUARDING_ACTION, BAD_SAFEGUARDING_ACTION),
    "safeguarding closure": (safeguarding_forms.CloseForm, CLOSURE, BAD_CLOSURE),
    "urgent contact": (UrgentContactForm, URGENT_CONTACT, BAD_URGENT_CONTACT),
    **{f"clarification {form_class.__name__}": (form_class, {}, {case: (data, field, message) for case, (
        in_form, data, field, message) in BAD_CLARIFICATION.items() if in_form is form_class})
       for form_class in (AttemptForm, CloseForm)},
    "audit sample": (SampleForm, SAMPLE_FORM, BAD_SAMPLE),
    "governance plan": (PlanForm, _current_plan(), BAD_PLAN),
    "new user": (NewUserForm, NEW_USER, BAD_NEW_USER),
    "referrals upload": (UploadForm, UPLOAD, BAD_UPLOAD),
    "import mode": (ConfirmForm, {"mode": "valid_rows"}, BAD_IMPORT_MODE),
}


def _changed(valid: dict, changes: dict) -> dict:
    return {k: value for k, value in {**valid, **changes}.items() if value is not None}


@pytest.mark.parametrize("form", [form for form, (_class, valid, _bad) in FORMS.items() if valid])
def test_a_valid_post_has_no_errors(bare_app, form):
    form_class, valid, _bad = FORMS[form]
    assert first_errors(posted(bare_app, form_class, valid)) == {}


@pytest.mark.parametrize(("form", "case"), [(form, case) for form, (_c, _v, bad) in FORMS.items() for case in bad])
def test_a_bad_field_gets_its_message(bare_app, form, case):
    form_class, valid, bad = FORMS[form]
    changes, field, message = bad[case]
    assert first_errors(posted(bare_app, form_class, _changed(valid, changes))) == {field: message}
