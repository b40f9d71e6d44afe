"""Recording a crisis or urgent contact."""
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired

from inclusive_access.blueprints.forms_common import choices, plain_text, strip, token_field
from inclusive_access.domain.pathway_delays import DELAY_ANSWERS, DelayLink
from inclusive_access.domain.urgent_contacts import KINDS, SOURCES, ContactDetails


class UrgentContactForm(FlaskForm):
    kind = SelectField("Kind of urgent contact", choices=choices({"": "Select the kind of urgent contact", **KINDS}),
                       validators=[InputRequired("Select the kind of urgent contact")])
    occurred_on = DateField("Date it happened", validators=[InputRequired("Enter the date it happened")],
                            format="%Y-%m-%d")
    source = SelectField("Who told us", choices=choices({"": "Select who told us", **SOURCES}),
                         validators=[InputRequired("Select who told us")])
    followed_delay = RadioField("Did it follow a delay on the pathway?", choices=choices(DELAY_ANSWERS),
                                validators=[InputRequired("Select whether it followed a delay on the pathway")])
    delay_detail = TextAreaField("What was the delay?", validators=plain_text(1000, multiline=True), filters=[strip])
    submission_token = token_field()

    def details(self) -> ContactDetails:
        return ContactDetails(self.kind.data or "", self.occurred_on.data, self.source.data or "",
                              DelayLink(self.followed_delay.data or "", self.delay_detail.data or ""))
