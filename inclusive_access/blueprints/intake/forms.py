"""The intake form. Its fields are plain strings: the rules live in domain.intake, shared with the CSV import."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Optional, Regexp

from inclusive_access.domain.intake import PATIENT_FIELDS
from inclusive_access.models import Patient

_ANSWERS = ("interpreter_needed", "learning_disability", "cognitive_impairment", "caring_responsibilities")


class ReReferralForm(FlaskForm):
    """The referral half of an intake: alone, a new referral for a known patient, linked to their closed one."""

    pathway = StringField()
    referrer_name = StringField()
    referrer_organisation = StringField()
    referrer_ods_code = StringField()
    referrer_contact = StringField()
    received_at = StringField()
    reason = TextAreaField()
    urgency = StringField()
    #: asked for only when the patient already has an open referral on the pathway
    duplicate_reason = TextAreaField()
    #: one-time token: a second submit of the same form finds the referral the first one made
    submission_token = HiddenField(validators=[Optional(), Regexp(r"^[A-Za-z0-9_-]{1,64}$")])

    def raw(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class IntakeForm(ReReferralForm):
    """A whole intake: the patient, and the referral."""

    nhs_number = StringField()
    given_name = StringField()
    family_name = StringField()
    dob_day = StringField()
    dob_month = StringField()
    dob_year = StringField()
    sex = StringField()
    postcode = StringField()
    imd_decile = StringField()
    imd_index = StringField()
    ethnic_category = StringField()
    preferred_language = StringField()
    interpreter_needed = StringField()
    communication_needs = SelectMultipleField(validate_choice=False)
    housing_status = StringField()
    learning_disability = StringField()
    cognitive_impairment = StringField()
    caring_responsibilities = StringField()
    #: for a patient on file: the version of their details the form showed
    patient_version = IntegerField(validators=[Optional()])

    def fill_from(self, patient: Patient) -> None:
        """Show the patient's details on file in the patient fields."""
        for name in PATIENT_FIELDS:
            value = getattr(patient, name)
            if name == "date_of_birth":
                self.dob_day.data, self.dob_month.data, self.dob_year.data = (
                    str(value.day), str(value.month), str(value.year))
            elif name in _ANSWERS:
                getattr(self, name).data = {True: "yes", False: "no", None: "unknown"}[value]
            else:
                getattr(self, name).data = "" if value is None else (value if isinstance(value, list) else str(value))

    def raw(self) -> dict:
        """The submitted values in the shape domain.intake.parse_intake reads (as a CSV row would be)."""
        data = super().raw()
        parts = (data.pop("dob_year") or "", data.pop("dob_month") or "", data.pop("dob_day") or "")
        if any(p.strip() for p in parts):
            y, m, d = (p.strip() for p in parts)
            data["date_of_birth"] = f"{y.zfill(4)}-{m.zfill(2)}-{d.zfill(2)}"
        return data

