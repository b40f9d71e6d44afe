"""The discharge request and the senior's review decision."""
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Optional

from inclusive_access.blueprints.forms_common import choices, plain_text, strip, token_field, version_field
from inclusive_access.domain.discharge import DECISIONS, REASONS, Decision
from inclusive_access.domain.safeguarding import CATEGORIES, ConcernDetails

LONG = plain_text(4000, multiline=True)


class DischargeRequestForm(FlaskForm):
    reason = RadioField("Why should this referral be discharged?", choices=choices(REASONS),
                        validators=[InputRequired("Select the reason for discharge")])
    reason_text = TextAreaField("Explain the request for the senior reviewing it",
                                validators=plain_text(4000, "Explain why the referral should be discharged",
                                                      multiline=True), filters=[strip])
    submission_token = token_field()
    version = version_field()


class ReviewDecisionForm(FlaskForm):
    decision = RadioField("Decision", choices=choices(DECISIONS), validators=[InputRequired("Select the decision")])
    rationale = TextAreaField("Rationale", validators=plain_text(4000, "Record the rationale for the decision",
                                                                 multiline=True), filters=[strip])
    plan = TextAreaField("Plan for continuing engagement", validators=LONG, filters=[strip])
    return_to = RadioField("Continue in", choices=choices({"treatment": "Treatment (book the next contact)",
                                                           "triage": "Triage (triage it again)"}),
                           validators=[Optional()], default="treatment")
    concern_category = SelectField("Kind of concern", choices=choices({"": "Select the kind of concern",
                                                                       **CATEGORIES}), validators=[Optional()])
    concern_text = TextAreaField("The concern", validators=LONG, filters=[strip])
    safe_despite_concern = TextAreaField("Why discharge is safe although a safeguarding concern is open",
                                         validators=LONG, filters=[strip])
    version = version_field()

    def to_decision(self) -> Decision:
        concern = None
        if self.decision.data == "safeguarding":
            concern = ConcernDetails(self.concern_category.data or "", self.concern_text.data or "")
        return Decision(decision=self.decision.data, rationale=self.rationale.data or "",
                        plan=self.plan.data or None, return_to_triage=self.return_to.data == "triage",
                        concern=concern, safe_despite_concern=self.safe_despite_concern.data or None)
