"""Forms for recording, editing and ending a reasonable adjustment."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Optional

from inclusive_access.blueprints.forms_common import choices, plain_text, strip, token_field, version_field
from inclusive_access.domain.adjustments import CATEGORIES, CONSENT_BASES, SOURCES, AdjustmentDetails


class AdjustmentForm(FlaskForm):
    category = RadioField("Kind of adjustment", choices=choices(CATEGORIES),
                          validators=[InputRequired("Select the kind of adjustment")])
    description = TextAreaField("What should staff do?", validators=plain_text(
        2000, "Describe the adjustment", multiline=True), filters=[strip])
    impairment = TextAreaField("The need or impairment behind it (optional)", validators=plain_text(200),
                               filters=[strip])
    consent_basis = RadioField("Basis for recording it", choices=choices(CONSENT_BASES),
                               validators=[InputRequired("Select the basis for recording it")])
    source = SelectField("Where it came from", choices=choices(SOURCES), default="patient_request",
                         validators=[Optional()])
    applies_to_appointments = BooleanField("Check at every appointment whether it was met", default=True)
    review_date = DateField("Review by (optional; 12 months if left blank)", validators=[Optional()],
                            format="%Y-%m-%d")

    def details(self) -> AdjustmentDetails:
        return AdjustmentDetails(category=self.category.data, description=self.description.data,
                                 consent_basis=self.consent_basis.data, impairment=self.impairment.data or None,
                                 applies_to_appointments=bool(self.applies_to_appointments.data),
                                 review_date=self.review_date.data)


class NewAdjustmentForm(AdjustmentForm):
    submission_token = token_field()


class EditAdjustmentForm(AdjustmentForm):
    version = version_field()


class EndAdjustmentForm(FlaskForm):
    end_reason = TextAreaField("Why is it no longer needed?", validators=plain_text(
        2000, "Say why the adjustment is no longer needed", multiline=True), filters=[strip])
    version = version_field()
