"""The barrier check's three sections: barriers found, contact attempts, outcome."""
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional

from inclusive_access.blueprints.forms_common import choices, plain_text, strip, token_field, version_field
from inclusive_access.domain.adjustments import CONSENT_BASES, SHORT_LABELS, AdjustmentDetails
from inclusive_access.domain.dna import ALTERNATIVES, ATTEMPT_METHODS, BARRIERS, OUTCOMES, SAFEGUARDING
from inclusive_access.domain.safeguarding import CATEGORIES, ConcernDetails


class BarriersForm(FlaskForm):
    barriers = SelectMultipleField("Barriers found", choices=choices(BARRIERS), validators=[Optional()])
    other_barrier = StringField("Other barrier", validators=plain_text(500), filters=[strip])
    safeguarding = RadioField("Safeguarding: the patient was not brought", choices=choices(SAFEGUARDING),
                              validators=[Optional()])
    concern_category = SelectField("If there is a concern: what kind", choices=choices({"": "None", **CATEGORIES}),
                                   validators=[Optional()])
    concern_text = TextAreaField("Describe the concern", validators=plain_text(4000, multiline=True), filters=[strip])
    version = version_field()

    def concern(self) -> ConcernDetails | None:
        if not (self.concern_category.data or self.concern_text.data):
            return None
        return ConcernDetails(category=self.concern_category.data or "", concern=self.concern_text.data or "")


class AttemptForm(FlaskForm):
    method = RadioField("How did you try to reach the patient?", choices=choices(ATTEMPT_METHODS),
                        validators=[InputRequired("Select how you tried to reach the patient")])
    reached = RadioField("Did you reach them?", choices=choices({"yes": "Yes", "no": "No"}),
                         validators=[InputRequired("Select whether you reached them")])
    note = TextAreaField("Note (optional)", validators=plain_text(2000, multiline=True), filters=[strip])
    submission_token = token_field()


class OutcomeForm(FlaskForm):
    outcome = RadioField("Outcome", choices=choices(OUTCOMES), validators=[InputRequired("Select the outcome")])
    alternative_format = SelectField("Alternative offered", choices=choices({"": "None", **ALTERNATIVES}),
                                     validators=[Optional()])
    adjustment_category = SelectField("Record an adjustment: kind", choices=choices({"": "None", **SHORT_LABELS}),
                                      validators=[Optional()])
    adjustment_description = StringField("Adjustment: what should staff do?", validators=plain_text(2000),
                                         filters=[strip])
    consent_basis = SelectField("Adjustment: basis for recording it", choices=choices(CONSENT_BASES),
                                validators=[Optional()])
    version = version_field()

    def adjustment(self) -> AdjustmentDetails | None:
        if not (self.adjustment_category.data or self.adjustment_description.data):
            return None
        return AdjustmentDetails(category=self.adjustment_category.data or "",
                                 description=self.adjustment_description.data or "",
                                 consent_basis=self.consent_basis.data or "")
