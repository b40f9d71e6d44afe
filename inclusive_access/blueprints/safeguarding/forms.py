"""Raising a safeguarding concern, its multi-agency route, actions, and closure."""
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired

from inclusive_access.blueprints.forms_common import choices, plain_text, strip, token_field, version_field
from inclusive_access.domain.pathway_delays import DELAY_ANSWERS, DelayLink
from inclusive_access.domain.safeguarding import CATEGORIES, ConcernDetails


class ConcernForm(FlaskForm):
    category = SelectField("Kind of concern", choices=choices({"": "Select the kind of concern", **CATEGORIES}),
                           validators=[InputRequired("Select the kind of concern")])
    concern = TextAreaField("The concern", validators=plain_text(4000, "Describe the concern", multiline=True),
                            filters=[strip])
    followed_delay = RadioField("Did the concern follow a delay on the pathway?", choices=choices(DELAY_ANSWERS),
                                validators=[InputRequired("Select whether it followed a delay on the pathway")])
    delay_detail = TextAreaField("What was the delay?", validators=plain_text(1000, multiline=True), filters=[strip])
    submission_token = token_field()

    def details(self) -> ConcernDetails:
        return ConcernDetails(self.category.data or "", self.concern.data or "",
                              DelayLink(self.followed_delay.data or "", self.delay_detail.data or ""))


class RouteForm(FlaskForm):
    routed_to = StringField("Referred to (multi-agency review, team or person)",
                            validators=plain_text(200, "Enter whom the concern was referred to"), filters=[strip])
    routed_on = DateField("Date referred", validators=[InputRequired("Enter the date it was referred")],
                          format="%Y-%m-%d")
    reference = StringField("Their reference (optional)", validators=plain_text(80), filters=[strip])
    version = version_field()


class ActionForm(FlaskForm):
    action = TextAreaField("Action taken", validators=plain_text(4000, "Describe the action taken", multiline=True),
                           filters=[strip])
    submission_token = token_field()


class CloseForm(FlaskForm):
    outcome = TextAreaField("Outcome of the safeguarding route",
                            validators=plain_text(4000, "Record the outcome of the safeguarding route",
                                                  multiline=True), filters=[strip])
    summary = TextAreaField("Closing summary", validators=plain_text(4000, "Write the closing summary",
                                                                     multiline=True), filters=[strip])
    version = version_field()


