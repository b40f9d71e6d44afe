"""The booking script and triage outcome form, and the worklist filters."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional

from inclusive_access.blueprints.forms_common import choices, plain_text, strip, version_field
from inclusive_access.domain.adjustments import CONSENT_BASES
from inclusive_access.domain.clarification import CHANNELS
from inclusive_access.domain.segments import FLAG_LABELS
from inclusive_access.domain.triage import (
    ADJUSTMENT_CATEGORIES,
    CONTACT_METHODS,
    DIGITAL,
    MOBILITY,
    REJECTION_CODES,
    BookingScript,
    suggest_adjustments,
)

YES_NO = {"yes": "Yes", "no": "No"}
OUTCOME_LABELS = {"accept": "Accept and book the first appointment", "clarify": "Ask the referrer for clarification",
                  "escalate": "Escalate to senior triage", "reject": "Reject"}
SHORT = plain_text(500)
LONG = plain_text(4000, multiline=True)


class FlagsForm(FlaskForm):
    """The inequality flags derived at receipt, corrected with the reason."""

    version = version_field()
    flags = SelectMultipleField("Which inequality flags apply?", choices=choices(FLAG_LABELS),
                                validators=[Optional()])
    reason = TextAreaField("Why are you changing them?",
                           validators=plain_text(1000, "Give the reason for changing the flags", multiline=True),
                           filters=[strip])


class TriageForm(FlaskForm):
    contact_method = RadioField("How does the patient prefer to be contacted?", choices=choices(CONTACT_METHODS),
                                validators=[InputRequired("Select how the patient prefers to be contacted")])
    contact_times = StringField("Best times to contact them", validators=SHORT)
    safe_to_leave_message = RadioField("Is it safe to leave a message?", choices=choices(YES_NO),
                                       validators=[InputRequired("Select whether it is safe to leave a message")])
    interpreter_needed = RadioField("Do they need an interpreter?", choices=choices(YES_NO),
                                    validators=[InputRequired("Select whether they need an interpreter")])
    language = StringField("Language", validators=SHORT)
    communication_needs = StringField("Communication needs (for example easy read, large print, BSL)",
                                      validators=SHORT)
    mobility = RadioField("Mobility and travel", choices=choices(MOBILITY),
                          validators=[InputRequired("Select what travel to an appointment involves for them")])
    caring_or_work = StringField("Caring or work commitments that limit appointment times", validators=SHORT)
    digital_access = RadioField("Telephone and internet access", choices=choices(DIGITAL),
                                validators=[InputRequired("Select their telephone and internet access")])
    record_suggested_adjustments = BooleanField("Record the suggested adjustments")
    other_adjustment_category = SelectField("Category", choices=choices({"": "Select a category",
                                                                        **ADJUSTMENT_CATEGORIES}),
                                            validators=[Optional()])
    other_adjustment_description = StringField("Another adjustment (optional)", validators=SHORT)
    adjustment_consent_basis = SelectField("Basis for recording the adjustments", choices=choices(CONSENT_BASES),
                                           default="patient", validators=[Optional()])
    outcome = RadioField("What happens next?", choices=choices(OUTCOME_LABELS),
                         validators=[InputRequired("Select what happens next")])
    reason_code = SelectField("Reason for rejecting", choices=choices({"": "Select a reason", **REJECTION_CODES}),
                              validators=[Optional()])
    reason_text = TextAreaField("Explain the decision", validators=LONG, filters=[strip])
    escalate_reason = TextAreaField("Why does this need a senior?", validators=LONG, filters=[strip])
    question = TextAreaField("Question for the referrer", validators=LONG, filters=[strip])
    channel = RadioField("How will you contact them?", choices=choices(CHANNELS), validators=[Optional()])
    contact_name = StringField("Whom will you contact?", validators=plain_text(160), filters=[strip])
    version = version_field()

    def script(self) -> BookingScript:
        yes = {"yes": True, "no": False}
        return BookingScript(
            contact_method=self.contact_method.data or "", contact_times=self.contact_times.data or "",
            safe_to_leave_message=yes.get(self.safe_to_leave_message.data),
            interpreter_needed=yes.get(self.interpreter_needed.data), language=self.language.data or "",
            communication_needs=self.communication_needs.data or "", mobility=self.mobility.data or "",
            caring_or_work=self.caring_or_work.data or "", digital_access=self.digital_access.data or "")

    def adjustments(self) -> list[dict]:
        """The suggested adjustments if ticked, plus the one typed in."""
        chosen = suggest_adjustments(self.script()) if self.record_suggested_adjustments.data else []
        if self.other_adjustment_description.data or self.other_adjustment_category.data:
            chosen.append({"category": self.other_adjustment_category.data,
                           "description": self.other_adjustment_description.data})
        return chosen

    def clarify(self) -> dict:
        return {"question": self.question.data or "", "channel": self.channel.data or "",
                "contact_name": self.contact_name.data or ""}

    def fill_from(self, answers: dict) -> None:
        words = {True: "yes", False: "no"}
        for name, value in answers.items():
            if name in self._fields:
                self[name].data = words.get(value, value) if isinstance(value, bool) else value


class WorklistFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a read-only GET filter

    pathway = SelectField("Pathway", choices=[], validators=[Optional()])
    flag = SelectField("Inequality flag", choices=choices({"": "Any flag", **FLAG_LABELS}), validators=[Optional()])
    overdue = SelectField("Due", choices=choices({"": "All", "yes": "Overdue only"}), validators=[Optional()])

    def set_pathways(self, pathways: dict[str, str]) -> None:
        self.pathway.choices = choices({"": "All pathways", **pathways})
